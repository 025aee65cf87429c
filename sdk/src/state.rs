//! The slot's key-value store, kept by the host between calls (guest memory
//! does not outlive a call). Needs `state: true` in the manifest's capabilities.
//!
//! The free functions call the host directly. Drivers that want their logic
//! unit-tested natively write it against the [`Store`] trait instead and pass
//! [`HostStore`] in the component, [`MemoryStore`] in tests.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::bindings::common::paddock::driver::state as host;

/// The bytes stored under `key`.
pub fn get(key: &str) -> Option<Vec<u8>> {
    host::get(key)
}

/// The UTF-8 text stored under `key` (none when absent or not UTF-8).
pub fn get_string(key: &str) -> Option<String> {
    host::get(key).and_then(|v| String::from_utf8(v).ok())
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: impl AsRef<[u8]>) {
    host::set(key, value.as_ref())
}

/// Removes `key`; true when it existed.
pub fn delete(key: &str) -> bool {
    host::delete(key)
}

/// Up to `limit` keys starting with `prefix` that sort after `after`, in order.
pub fn keys(prefix: &str, after: Option<&str>, limit: u32) -> Vec<String> {
    host::keys(prefix, after, limit)
}

/// Every key starting with `prefix`, in order.
pub fn all_keys(prefix: &str) -> Vec<String> {
    HostStore.all_keys(prefix)
}

/// A key-value store with the shape of the `state` interface.
pub trait Store {
    /// The bytes stored under `key`.
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `key`, replacing what was there.
    fn set(&mut self, key: &str, value: &[u8]);
    /// Removes `key`; true when it existed.
    fn delete(&mut self, key: &str) -> bool;
    /// Up to `limit` keys starting with `prefix` that sort after `after`, in
    /// lexical (byte) order.
    fn keys(&self, prefix: &str, after: Option<&str>, limit: u32) -> Vec<String>;

    /// Every key starting with `prefix`, in order.
    fn all_keys(&self, prefix: &str) -> Vec<String> {
        const PAGE: u32 = 1000;
        let mut out: Vec<String> = Vec::new();
        loop {
            let page = self.keys(prefix, out.last().map(String::as_str), PAGE);
            let done = page.len() < PAGE as usize;
            out.extend(page);
            if done {
                return out;
            }
        }
    }
}

/// The slot's store in the host (the free functions of this module).
#[derive(Debug, Default, Clone, Copy)]
pub struct HostStore;

impl Store for HostStore {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        host::get(key)
    }
    fn set(&mut self, key: &str, value: &[u8]) {
        host::set(key, value)
    }
    fn delete(&mut self, key: &str) -> bool {
        host::delete(key)
    }
    fn keys(&self, prefix: &str, after: Option<&str>, limit: u32) -> Vec<String> {
        host::keys(prefix, after, limit)
    }
}

/// A store in guest memory, for native unit tests of driver logic.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    entries: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when it holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).cloned()
    }
    fn set(&mut self, key: &str, value: &[u8]) {
        self.entries.insert(key.to_owned(), value.to_vec());
    }
    fn delete(&mut self, key: &str) -> bool {
        self.entries.remove(key).is_some()
    }
    fn keys(&self, prefix: &str, after: Option<&str>, limit: u32) -> Vec<String> {
        // Start at whichever bound is later: the prefix or the `after` key.
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(prefix),
        };
        self.entries
            .range::<str, _>((start, Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .take(limit as usize)
            .cloned()
            .collect()
    }
}

/// The JSON record stored under `key`; a record that does not parse is a
/// `vendor` error naming the key (the store was written by another version).
#[cfg(feature = "json")]
pub fn load_json<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &str,
) -> crate::Result<Option<T>> {
    store
        .get(key)
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| {
                crate::Error::vendor(
                    "corrupt-state",
                    format!("state entry '{key}' is unreadable: {e}"),
                )
            })
        })
        .transpose()
}

/// Stores `value` as JSON under `key`.
#[cfg(feature = "json")]
pub fn save_json<T: serde::Serialize>(store: &mut dyn Store, key: &str, value: &T) {
    let bytes = serde_json::to_vec(value).expect("records serialise to JSON");
    store.set(key, &bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keys_honour_prefix_after_and_limit() {
        let mut s = MemoryStore::new();
        for k in ["a/1", "a/2", "a/3", "b/1", "a"] {
            s.set(k, b"x");
        }
        assert_eq!(s.keys("a/", None, 10), ["a/1", "a/2", "a/3"]);
        assert_eq!(s.keys("a/", Some("a/1"), 1), ["a/2"]);
        assert_eq!(s.keys("a/", Some("0"), 10), ["a/1", "a/2", "a/3"]);
        assert!(s.keys("a/", Some("a/3"), 10).is_empty());
        assert_eq!(s.all_keys(""), ["a", "a/1", "a/2", "a/3", "b/1"]);
        assert!(s.delete("a"));
        assert!(!s.delete("a"));
    }
}
