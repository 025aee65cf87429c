//! The slot's key-value store, kept by the host between calls (guest memory
//! does not outlive a call). Needs `state: true` in the manifest's capabilities.

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
    let mut out: Vec<String> = Vec::new();
    loop {
        let page = host::keys(prefix, out.last().map(String::as_str), 1000);
        let done = page.len() < 1000;
        out.extend(page);
        if done {
            return out;
        }
    }
}
