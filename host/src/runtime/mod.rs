//! The WebAssembly side of the host: one engine, compiled drivers, and a
//! fresh instance per call.

#[expect(missing_docs, reason = "generated bindings")]
mod bindings;
mod cache;
mod driver;
mod engine;
mod host_state;
mod manifest;

pub use bindings::paddock::driver as wit;
pub use cache::CodeCache;
pub use driver::{Driver, DriverCall, DriverLoadError, Verb};
pub use engine::{Limits, Runtime};
pub use host_state::{CallContext, HostState, LentFolder};
pub use manifest::{Capabilities, Concurrency, Domain, FolderAccess, Manifest, SettingSpec};
