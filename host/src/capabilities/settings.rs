//! `paddock:driver/settings`: the slot's resolved settings, read-only.

use crate::runtime::HostState;
use crate::runtime::wit::settings::Host;

impl Host for HostState {
    fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.context.settings.get(&name).cloned())
    }

    fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self
            .context
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl crate::runtime::wit::types::Host for HostState {}
