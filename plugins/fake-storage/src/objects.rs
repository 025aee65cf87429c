//! Object verbs over the state store.

use paddock_sdk::state::Store;
use paddock_sdk::storage::{ByteRange, ObjectMeta, ObjectPage, PutOptions};
use paddock_sdk::{Error, Result};
use sha2::{Digest, Sha256};

use crate::containers;
use crate::layout::{self, ObjectRecord};
use crate::names::check_key;
use paddock_sdk::storage::Cursor;

/// The largest object this fake keeps (its bytes live in the daemon's memory).
pub const MAX_OBJECT_BYTES: u64 = 64 * 1024 * 1024;
/// Page size of `list` when the caller names none, and the largest allowed.
pub const MAX_PAGE: u32 = 1000;
/// User metadata is sent as headers by real backends; S3 caps it at 2 KiB.
const MAX_METADATA_BYTES: usize = 2048;

/// Checks everything `put` can check before the body is read, so a bad call
/// does not pull a large body for nothing.
pub fn check_put(
    store: &dyn Store,
    container: &str,
    key: &str,
    opts: &PutOptions,
    declared_size: Option<u64>,
) -> Result<()> {
    containers::require(store, container)?;
    check_key(key)?;
    let meta_size: usize = opts.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if opts.metadata.iter().any(|(k, _)| k.is_empty()) {
        return Err(Error::invalid_input("metadata names must not be empty"));
    }
    if meta_size > MAX_METADATA_BYTES {
        return Err(Error::invalid_input(format!(
            "metadata is {meta_size} bytes; the limit is {MAX_METADATA_BYTES} bytes of names and values"
        )));
    }
    match declared_size {
        Some(n) if n > MAX_OBJECT_BYTES => Err(too_large(n)),
        _ => Ok(()),
    }
}

pub fn too_large(size: u64) -> Error {
    Error::quota_exceeded(format!(
        "object of {size} bytes is larger than fake_storage's limit of {MAX_OBJECT_BYTES} bytes (64 MiB)"
    ))
}

pub fn put(
    store: &mut dyn Store,
    container: &str,
    key: &str,
    bytes: &[u8],
    opts: PutOptions,
    now_ms: u64,
) -> Result<ObjectMeta> {
    check_put(store, container, key, &opts, Some(bytes.len() as u64))?;
    let etag = hex::encode(Sha256::digest(bytes));
    let old: Option<ObjectRecord> = layout::load(store, &layout::meta_key(container, key))?;
    store.set(&layout::blob_key(container, &etag, key), bytes);
    let rec = ObjectRecord {
        size: bytes.len() as u64,
        etag,
        content_type: opts.content_type,
        metadata: opts.metadata,
        modified_ms: now_ms,
    };
    layout::save(store, &layout::meta_key(container, key), &rec); // the commit point
    if let Some(old) = old.filter(|o| o.etag != rec.etag) {
        store.delete(&layout::blob_key(container, &old.etag, key));
    }
    Ok(rec.to_meta(key))
}

fn record(store: &dyn Store, container: &str, key: &str) -> Result<ObjectRecord> {
    containers::require(store, container)?;
    check_key(key)?;
    layout::load(store, &layout::meta_key(container, key))?.ok_or_else(|| {
        Error::not_found(format!(
            "object '{key}' does not exist in container '{container}'"
        ))
    })
}

pub fn head(store: &dyn Store, container: &str, key: &str) -> Result<ObjectMeta> {
    Ok(record(store, container, key)?.to_meta(key))
}

/// The object's metadata, the offset served and the bytes of the range.
pub fn get(
    store: &dyn Store,
    container: &str,
    key: &str,
    range: Option<ByteRange>,
) -> Result<(ObjectMeta, u64, Vec<u8>)> {
    let rec = record(store, container, key)?;
    let (start, len) = match range {
        None => (0, rec.size),
        Some(ByteRange { offset, .. }) if offset > rec.size => {
            return Err(Error::invalid_input(format!(
                "range starts at byte {offset}, past the end of '{key}' ({} bytes)",
                rec.size
            )));
        }
        Some(ByteRange { offset, length }) => {
            (offset, length.unwrap_or(u64::MAX).min(rec.size - offset))
        }
    };
    let blob = store
        .get(&layout::blob_key(container, &rec.etag, key))
        .ok_or_else(|| {
            Error::vendor(
                "corrupt-state",
                format!("the bytes of '{key}' are missing from the state store"),
            )
        })?;
    let bytes = blob[start as usize..(start + len) as usize].to_vec();
    Ok((rec.to_meta(key), start, bytes))
}

/// Missing keys succeed, as in S3; a missing container does not.
pub fn delete(store: &mut dyn Store, container: &str, key: &str) -> Result<()> {
    containers::require(store, container)?;
    check_key(key)?;
    let meta_key = layout::meta_key(container, key);
    if let Some(rec) = layout::load::<ObjectRecord>(store, &meta_key)? {
        store.delete(&meta_key);
        store.delete(&layout::blob_key(container, &rec.etag, key));
    }
    Ok(())
}

/// One page of keys under `prefix`; with a delimiter, keys that have it
/// after the prefix are rolled up into one common prefix each, which counts
/// as one entry of the page (as in S3).
pub fn list(
    store: &dyn Store,
    container: &str,
    prefix: Option<String>,
    delimiter: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<ObjectPage> {
    containers::require(store, container)?;
    let prefix = prefix.unwrap_or_default();
    if prefix.len() > 1024 {
        return Err(Error::invalid_input(
            "prefix must be at most 1024 bytes, as keys are",
        ));
    }
    if delimiter.as_deref() == Some("") {
        return Err(Error::invalid_input(
            "delimiter must not be empty; omit it to list flat",
        ));
    }
    let limit = match limit {
        Some(0) => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        Some(n) => n.min(MAX_PAGE),
        None => MAX_PAGE,
    } as usize;
    let cursor = cursor.as_deref().map(Cursor::decode).transpose()?;
    if let Some(c) = &cursor
        && !c.key().starts_with(&prefix)
    {
        return Err(Error::invalid_input(
            "cursor belongs to a listing with another prefix; pass the same prefix as on the first page",
        ));
    }

    let base = layout::meta_prefix(container);
    let scan = format!("{base}{prefix}");
    let mut after = cursor.as_ref().map(|c| format!("{base}{}", c.key()));
    let mut skip = match &cursor {
        Some(Cursor::Beyond(p)) => Some(p.clone()),
        _ => None,
    };
    let mut page = ObjectPage {
        objects: Vec::new(),
        prefixes: Vec::new(),
        next_cursor: None,
    };
    let mut last: Option<Cursor> = None;
    loop {
        let batch = store.keys(&scan, after.as_deref(), MAX_PAGE);
        let exhausted = batch.len() < MAX_PAGE as usize;
        for full in &batch {
            let key = &full[base.len()..];
            if skip.as_deref().is_some_and(|s| key.starts_with(s)) {
                continue;
            }
            let rolled = delimiter.as_deref().and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| key[..prefix.len() + i + d.len()].to_owned())
            });
            if page.objects.len() + page.prefixes.len() == limit {
                page.next_cursor = last.map(|c| c.encode());
                return Ok(page);
            }
            match rolled {
                Some(common) => {
                    page.prefixes.push(common.clone());
                    last = Some(Cursor::Beyond(common.clone()));
                    skip = Some(common);
                }
                None => {
                    let rec: ObjectRecord = layout::load(store, full)?.ok_or_else(|| {
                        Error::vendor(
                            "corrupt-state",
                            format!("metadata of '{key}' vanished during list"),
                        )
                    })?;
                    page.objects.push(rec.to_meta(key));
                    last = Some(Cursor::After(key.to_owned()));
                }
            }
        }
        if exhausted {
            return Ok(page);
        }
        after = batch.last().cloned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    fn opts() -> PutOptions {
        PutOptions {
            content_type: Some("text/plain".into()),
            metadata: vec![("a".into(), "1".into())],
        }
    }

    fn store_with(keys: &[&str]) -> MemoryStore {
        let mut s = MemoryStore::new();
        for k in keys {
            put(&mut s, "default", k, k.as_bytes(), opts(), 1).unwrap();
        }
        s
    }

    #[test]
    fn put_head_get_replace_delete() {
        let mut s = MemoryStore::new();
        let m = put(&mut s, "default", "a/b.txt", b"hello", opts(), 5).unwrap();
        assert_eq!(m.size, 5);
        assert_eq!(
            m.etag,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(head(&s, "default", "a/b.txt").unwrap().modified_ms, 5);
        let (meta, off, bytes) = get(&s, "default", "a/b.txt", None).unwrap();
        assert_eq!(
            (meta.content_type.as_deref(), off, bytes.as_slice()),
            (Some("text/plain"), 0, &b"hello"[..])
        );

        let m2 = put(
            &mut s,
            "default",
            "a/b.txt",
            b"bye",
            PutOptions {
                content_type: None,
                metadata: vec![],
            },
            6,
        )
        .unwrap();
        assert_ne!(m2.etag, m.etag);
        assert_eq!(get(&s, "default", "a/b.txt", None).unwrap().2, b"bye");
        assert_eq!(s.len(), 2, "the old bytes are gone: one meta, one blob");

        delete(&mut s, "default", "a/b.txt").unwrap();
        delete(&mut s, "default", "a/b.txt").unwrap();
        assert!(s.is_empty());
        assert_eq!(
            head(&s, "default", "a/b.txt").unwrap_err().kind(),
            "not-found"
        );
        assert_eq!(delete(&mut s, "nope", "a").unwrap_err().kind(), "not-found");
    }

    #[test]
    fn put_checks() {
        let mut s = MemoryStore::new();
        let err = put(&mut s, "photos", "a", b"x", opts(), 1).unwrap_err();
        assert_eq!(err.kind(), "not-found");
        assert!(err.message().contains("create-container"));
        assert_eq!(
            put(&mut s, "default", "../a", b"x", opts(), 1)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
        assert_eq!(
            check_put(&s, "default", "a", &opts(), Some(MAX_OBJECT_BYTES + 1))
                .unwrap_err()
                .kind(),
            "quota-exceeded"
        );
        let big = PutOptions {
            content_type: None,
            metadata: vec![("k".into(), "v".repeat(4096))],
        };
        assert_eq!(
            check_put(&s, "default", "a", &big, None)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
    }

    #[test]
    fn ranges() {
        let s = store_with(&["0123456789"]);
        let r = |offset, length| {
            get(
                &s,
                "default",
                "0123456789",
                Some(ByteRange { offset, length }),
            )
        };
        let (_, off, b) = r(2, Some(3)).unwrap();
        assert_eq!((off, b.as_slice()), (2, &b"234"[..]));
        assert_eq!(r(8, Some(100)).unwrap().2, b"89");
        assert_eq!(r(7, None).unwrap().2, b"789");
        assert!(r(10, None).unwrap().2.is_empty());
        assert_eq!(r(11, None).unwrap_err().kind(), "invalid-input");
    }

    #[test]
    fn non_empty_container_cannot_be_deleted() {
        let mut s = MemoryStore::new();
        containers::create(&mut s, "box", 1).unwrap();
        put(&mut s, "box", "k", b"x", opts(), 1).unwrap();
        assert_eq!(
            containers::delete(&mut s, "box").unwrap_err().kind(),
            "conflict"
        );
        delete(&mut s, "box", "k").unwrap();
        containers::delete(&mut s, "box").unwrap();
    }

    fn all_pages(
        s: &MemoryStore,
        prefix: &str,
        delim: Option<&str>,
        limit: u32,
    ) -> (Vec<String>, Vec<String>, usize) {
        let (mut keys, mut prefixes, mut pages, mut cursor) = (vec![], vec![], 0, None);
        loop {
            let p = list(
                s,
                "default",
                Some(prefix.into()),
                delim.map(Into::into),
                cursor,
                Some(limit),
            )
            .unwrap();
            pages += 1;
            assert!(p.objects.len() + p.prefixes.len() <= limit as usize);
            keys.extend(p.objects.into_iter().map(|o| o.key));
            prefixes.extend(p.prefixes);
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => return (keys, prefixes, pages),
            }
        }
    }

    #[test]
    fn list_pages_prefixes_and_delimiters() {
        let s = store_with(&["a/1", "a/2", "b", "c/x/1", "c/x/2", "c/y", "d"]);
        let (keys, prefixes, pages) = all_pages(&s, "", None, 2);
        assert_eq!(keys, ["a/1", "a/2", "b", "c/x/1", "c/x/2", "c/y", "d"]);
        assert!(prefixes.is_empty());
        assert_eq!(pages, 4);

        let (keys, prefixes, pages) = all_pages(&s, "", Some("/"), 1);
        assert_eq!(keys, ["b", "d"]);
        assert_eq!(prefixes, ["a/", "c/"]);
        assert_eq!(pages, 4);

        let (keys, prefixes, _) = all_pages(&s, "c/", Some("/"), 1000);
        assert_eq!(
            (keys, prefixes),
            (vec!["c/y".to_owned()], vec!["c/x/".to_owned()])
        );

        let exact = list(&s, "default", None, None, None, Some(7)).unwrap();
        assert_eq!((exact.objects.len(), exact.next_cursor), (7, None));
    }

    #[test]
    fn list_rejects_bad_arguments() {
        let s = store_with(&["a/1", "b/1"]);
        let l = |p: Option<&str>, d: Option<&str>, c: Option<&str>, n| {
            list(
                &s,
                "default",
                p.map(Into::into),
                d.map(Into::into),
                c.map(Into::into),
                n,
            )
            .unwrap_err()
            .kind()
        };
        assert_eq!(l(None, None, None, Some(0)), "invalid-input");
        assert_eq!(l(None, Some(""), None, None), "invalid-input");
        assert_eq!(l(None, None, Some("garbage"), None), "invalid-input");
        let c = list(&s, "default", Some("a/".into()), None, None, Some(1)).unwrap();
        assert!(c.next_cursor.is_none());
        let c = list(&s, "default", None, None, None, Some(1))
            .unwrap()
            .next_cursor
            .unwrap();
        assert_eq!(l(Some("b/"), None, Some(&c), None), "invalid-input");
    }
}
