//! `paddock:driver/state`: a per-slot key-value store in the daemon's memory,
//! so drivers keep state across the fresh instance of every call.

use crate::runtime::HostState;
use crate::runtime::wit::state::Host;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One slot's store, bounded in total bytes.
pub struct SlotState {
    inner: Mutex<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: BTreeMap<String, Vec<u8>>,
    /// Bytes of keys and values, kept up to date so `set` is O(log n).
    used: usize,
}

impl SlotState {
    /// An empty store holding at most `max_bytes` of keys and values.
    pub fn new(max_bytes: usize) -> Self {
        SlotState {
            inner: Mutex::default(),
            max_bytes,
        }
    }
}

fn store(state: &HostState) -> wasmtime::Result<&SlotState> {
    state.context.state.as_deref().ok_or_else(|| {
        wasmtime::format_err!(
            "slot '{}': the driver used the `state` capability but its manifest does not ask for it (capabilities.state) or the slot does not grant it ([slots.{}.grants] state = true)",
            state.context.slot,
            state.context.slot
        )
    })
}

impl Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let store = store(self)?;
        Ok(store.inner.lock().unwrap().map.get(&key).cloned())
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<()> {
        let store = store(self)?;
        let mut entries = store.inner.lock().unwrap();
        let old = entries.map.get(&key).map_or(0, |v| key.len() + v.len());
        let used = entries.used - old + key.len() + value.len();
        if used > store.max_bytes {
            wasmtime::bail!(
                "slot '{}': the state store is full (limit {} bytes)",
                self.context.slot,
                store.max_bytes
            );
        }
        entries.used = used;
        entries.map.insert(key, value);
        Ok(())
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<bool> {
        let store = store(self)?;
        let mut entries = store.inner.lock().unwrap();
        match entries.map.remove(&key) {
            Some(value) => {
                entries.used -= key.len() + value.len();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn keys(
        &mut self,
        prefix: String,
        after: Option<String>,
        limit: u32,
    ) -> wasmtime::Result<Vec<String>> {
        let store = store(self)?;
        let entries = store.inner.lock().unwrap();
        let start = match &after {
            Some(a) if a.as_str() >= prefix.as_str() => std::ops::Bound::Excluded(a.clone()),
            _ => std::ops::Bound::Included(prefix.clone()),
        };
        Ok(entries
            .map
            .range((start, std::ops::Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(&prefix))
            .take(limit.min(10_000) as usize)
            .cloned()
            .collect())
    }
}
