//! Bindings generated from `wit/driver/0.1.0`. Driver authors use the
//! re-exports in the crate root and the domain modules; these modules are
//! public only because the export macros must name them.

/// The host-provided interfaces every world imports, generated once so that
/// `Error` and friends are one type across the three domain modules.
#[doc(hidden)]
pub mod common {
    wit_bindgen::generate!({
        path: "../wit/driver/0.1.0",
        inline: "
            package paddock:sdk;
            world common {
                import paddock:driver/types@0.1.0;
                import paddock:driver/settings@0.1.0;
                import paddock:driver/state@0.1.0;
                import paddock:driver/secrets@0.1.0;
                import paddock:driver/body@0.1.0;
            }
        ",
        world: "paddock:sdk/common",
        generate_all,
        generate_unused_types: true,
    });
}

#[doc(hidden)]
pub mod db {
    wit_bindgen::generate!({
        path: "../wit/driver/0.1.0",
        world: "paddock:driver/db-driver@0.1.0",
        with: {
            "paddock:driver/types@0.1.0": crate::bindings::common::paddock::driver::types,
            "paddock:driver/settings@0.1.0": crate::bindings::common::paddock::driver::settings,
            "paddock:driver/state@0.1.0": crate::bindings::common::paddock::driver::state,
            "paddock:driver/secrets@0.1.0": crate::bindings::common::paddock::driver::secrets,
        },
        pub_export_macro: true,
        export_macro_name: "export_db_driver",
        default_bindings_module: "paddock_sdk::bindings::db",
    });
}

#[doc(hidden)]
pub mod deploy {
    wit_bindgen::generate!({
        path: "../wit/driver/0.1.0",
        world: "paddock:driver/deploy-driver@0.1.0",
        with: {
            "paddock:driver/types@0.1.0": crate::bindings::common::paddock::driver::types,
            "paddock:driver/settings@0.1.0": crate::bindings::common::paddock::driver::settings,
            "paddock:driver/state@0.1.0": crate::bindings::common::paddock::driver::state,
            "paddock:driver/secrets@0.1.0": crate::bindings::common::paddock::driver::secrets,
        },
        pub_export_macro: true,
        export_macro_name: "export_deploy_driver",
        default_bindings_module: "paddock_sdk::bindings::deploy",
    });
}

#[doc(hidden)]
pub mod storage {
    wit_bindgen::generate!({
        path: "../wit/driver/0.1.0",
        world: "paddock:driver/storage-driver@0.1.0",
        with: {
            "paddock:driver/types@0.1.0": crate::bindings::common::paddock::driver::types,
            "paddock:driver/settings@0.1.0": crate::bindings::common::paddock::driver::settings,
            "paddock:driver/state@0.1.0": crate::bindings::common::paddock::driver::state,
            "paddock:driver/secrets@0.1.0": crate::bindings::common::paddock::driver::secrets,
            "paddock:driver/body@0.1.0": crate::bindings::common::paddock::driver::body,
        },
        pub_export_macro: true,
        export_macro_name: "export_storage_driver",
        default_bindings_module: "paddock_sdk::bindings::storage",
    });
}
