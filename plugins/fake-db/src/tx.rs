//! A transaction over the state store: writes are buffered and reach the
//! store only on [`Tx::commit`], so every verb is all-or-nothing (a failed
//! batch or migration leaves nothing behind), and `query` runs in one that
//! is never committed.

use std::collections::BTreeMap;
use std::ops::Bound;

use paddock_sdk::state::Store;

pub struct Tx<'a> {
    base: &'a mut dyn Store,
    /// `None` marks a delete.
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

impl<'a> Tx<'a> {
    pub fn new(base: &'a mut dyn Store) -> Self {
        Self {
            base,
            writes: BTreeMap::new(),
        }
    }

    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    pub fn commit(self) {
        for (key, value) in self.writes {
            match value {
                Some(v) => self.base.set(&key, &v),
                None => {
                    self.base.delete(&key);
                }
            }
        }
    }
}

impl Store for Tx<'_> {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self.writes.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }

    fn set(&mut self, key: &str, value: &[u8]) {
        self.writes.insert(key.to_owned(), Some(value.to_vec()));
    }

    fn delete(&mut self, key: &str) -> bool {
        let existed = self.get(key).is_some();
        self.writes.insert(key.to_owned(), None);
        existed
    }

    fn keys(&self, prefix: &str, after: Option<&str>, limit: u32) -> Vec<String> {
        let limit = limit as usize;
        // Base keys not shadowed by a buffered write, until `limit` of them
        // are found or the base runs out; `bound` is the last base key seen.
        let mut from_base = Vec::new();
        let mut cursor = after.map(str::to_owned);
        let bound = loop {
            let page = self
                .base
                .keys(prefix, cursor.as_deref(), limit.max(1) as u32);
            let full = page.len() >= limit.max(1);
            cursor = page.last().cloned().or(cursor);
            from_base.extend(page.into_iter().filter(|k| !self.writes.contains_key(k)));
            if !full {
                break None;
            }
            if from_base.len() >= limit {
                break cursor.clone();
            }
        };
        // Buffered keys up to that bound; together they hold the first `limit`.
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(prefix),
        };
        let buffered = self
            .writes
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take_while(|(k, _)| bound.as_deref().is_none_or(|b| k.as_str() <= b))
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.clone());
        let mut all: Vec<String> = from_base.into_iter().chain(buffered).collect();
        all.sort();
        all.truncate(limit);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    #[test]
    fn buffers_until_commit_and_merges_keys() {
        let mut base = MemoryStore::new();
        for k in ["a/1", "a/3", "a/5", "b"] {
            base.set(k, b"base");
        }
        let mut tx = Tx::new(&mut base);
        tx.set("a/2", b"tx");
        assert!(tx.delete("a/3"));
        assert!(!tx.delete("a/9"));
        tx.set("a/6", b"tx");
        assert_eq!(tx.get("a/2").unwrap(), b"tx");
        assert_eq!(tx.get("a/3"), None);
        assert_eq!(tx.all_keys("a/"), ["a/1", "a/2", "a/5", "a/6"]);
        assert_eq!(tx.keys("a/", Some("a/1"), 2), ["a/2", "a/5"]);
        assert_eq!(tx.keys("a/", None, 1), ["a/1"]);
        assert_eq!(tx.keys("a/", Some("a/5"), 5), ["a/6"]);
        tx.commit();
        assert_eq!(base.all_keys(""), ["a/1", "a/2", "a/5", "a/6", "b"]);
    }

    #[test]
    fn shadowed_pages_are_refilled() {
        let mut base = MemoryStore::new();
        for i in 0..10 {
            base.set(&format!("k{i}"), b"x");
        }
        let mut tx = Tx::new(&mut base);
        for i in 0..8 {
            tx.delete(&format!("k{i}"));
        }
        assert_eq!(tx.keys("k", None, 2), ["k8", "k9"]);
        drop(tx);
        assert_eq!(base.len(), 10, "dropped without commit: nothing written");
    }
}
