//! A plain component exporting `hello`: a valid component, but no paddock
//! driver (it exports none of the `paddock:driver` domain interfaces). The
//! daemon must refuse it with a reason and keep serving the other drivers.

wit_bindgen::generate!({
    inline: "
        package test:plain;
        world plain {
            export hello: func() -> string;
        }
    ",
});

struct Plain;

impl Guest for Plain {
    fn hello() -> String {
        "hello from a component that is not a driver".into()
    }
}

export!(Plain);
