//! Host bindings of the `paddock:driver@0.1.0` imports. Only the import side
//! is used: verbs are called dynamically (see `domains::json`) so that one
//! code path serves every verb and every WIT version a driver exports.

wasmtime::component::bindgen!({
    path: "../wit/driver/0.1.0",
    world: "paddock:driver/storage-driver@0.1.0",
    imports: {
        "paddock:driver/body": async | trappable,
        default: trappable,
    },
    with: {
        "paddock:driver/body.body-source": crate::capabilities::body::BodySource,
    },
});
