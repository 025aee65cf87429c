//! # paddock-sdk
//!
//! Write paddock drivers in Rust. A driver is a WebAssembly component that
//! exports one domain interface (`db`, `deploy` or `storage`) and `describe`;
//! this crate gives you the bindings of each domain's world, an export macro
//! per world, error helpers and typed access to what the host lends.
//!
//! ```ignore
//! use paddock_sdk::storage::*;
//!
//! struct MyDriver;
//! impl Driver for MyDriver {
//!     type ObjectReader = MyReader;
//!     fn describe() -> Manifest { /* name, domain, settings, capabilities */ }
//!     /* the storage verbs */
//! }
//! paddock_sdk::export_storage_driver!(MyDriver);
//! ```
//!
//! See `sdk/README.md` for the guide. The SDK's version is its own; the WIT
//! contract it implements is [`WIT_VERSION`].
#![deny(missing_docs)]

#[doc(hidden)]
pub mod bindings;
mod columns;
mod cursor;

pub mod db;
pub mod deploy;
mod error;
#[cfg(feature = "http")]
pub mod http;
mod manifest;
mod migrations;
pub mod names;
pub mod secrets;
pub mod settings;
pub mod state;
pub mod storage;
pub mod time;

pub use bindings::common::paddock::driver::types::{
    Capabilities, Concurrency, Domain, Error, FolderAccess, HealthReport, Manifest, Setting,
    UnavailableError, VendorError,
};
pub use error::Result;

/// The version of the `paddock:driver` WIT package this SDK builds drivers against.
pub const WIT_VERSION: &str = "0.1.0";
