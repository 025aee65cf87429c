//! The slot's settings, as the host resolved them (slot config, then the
//! setting's environment variable, then its default).

use crate::bindings::common::paddock::driver::settings as host;
use crate::{Error, Result};

/// The value of a setting, if set.
pub fn get(name: &str) -> Option<String> {
    host::get(name)
}

/// The value of a setting the driver cannot work without; `invalid-input`
/// naming the setting when it is missing.
pub fn require(name: &str) -> Result<String> {
    host::get(name).ok_or_else(|| {
        Error::invalid_input(format!(
            "setting '{name}' is not set: add it to the slot's [slots.<name>.settings] in paddock.toml"
        ))
    })
}

/// Every setting of the slot, sorted by name.
pub fn all() -> Vec<(String, String)> {
    host::all()
}
