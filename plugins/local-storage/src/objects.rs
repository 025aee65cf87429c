//! Object verbs: `put`, `get`, `head`, `delete`.
//!
//! A `put` streams the body into `<container>/tmp/<random>.part` while
//! hashing it, appends the record (see [`crate::record`]), syncs the file and
//! renames it over the object's path: the rename is the commit point, so
//! readers see the old object or the new one, never a part. Concurrent puts
//! of one key each rename a complete file; the last rename wins.

use std::fs::{self, File};
use std::io::{ErrorKind, Seek, SeekFrom, Write};
use std::path::Path;

use paddock_sdk::storage::{ByteRange, ObjectMeta, PutOptions};
use paddock_sdk::{Error, Result};
use sha2::{Digest, Sha256};

use crate::containers;
use crate::fsx::{TempFile, io_error, sweep, sync_dir};
use crate::keys::check_key;
use crate::layout::{Root, object_path};
use crate::reader::FileReader;
use crate::record::{self, Record};

/// Bytes asked of the body per read: large enough for few calls across the
/// component boundary, small enough to keep memory flat.
pub const BODY_CHUNK: u32 = 1024 * 1024;
/// User metadata is sent as headers by real backends; S3 caps it at 2 KiB.
const MAX_METADATA_BYTES: usize = 2048;
/// A media type with parameters fits easily; more is not a content type.
const MAX_CONTENT_TYPE_BYTES: usize = 256;
/// Temporary files untouched this long belong to puts that died.
const STALE_TEMP_MS: u64 = 60 * 60 * 1000;
/// Renames retried when a concurrent delete removed an empty parent folder
/// between its creation and the rename.
const COMMIT_ATTEMPTS: usize = 16;

/// Where a `put` pulls its bytes from: the host's `body-source` in the
/// guest, anything in tests.
pub trait Body {
    /// Up to `max` bytes; `None` at the end.
    fn read(&mut self, max: u32) -> Result<Option<Vec<u8>>>;
}

fn describe(container: &str, key: &str) -> String {
    format!("object '{key}' in container '{container}'")
}

/// Checks everything `put` can check before the body is read, so a bad call
/// does not pull a large body for nothing.
fn check_put(root: &Root, container: &str, key: &str, opts: &PutOptions) -> Result<()> {
    containers::require(root, container)?;
    check_key(key)?;
    if opts.metadata.iter().any(|(k, _)| k.is_empty()) {
        return Err(Error::invalid_input("metadata names must not be empty"));
    }
    let meta_size: usize = opts.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if meta_size > MAX_METADATA_BYTES {
        return Err(Error::invalid_input(format!(
            "metadata is {meta_size} bytes; the limit is {MAX_METADATA_BYTES} bytes of names and values"
        )));
    }
    if let Some(ct) = &opts.content_type
        && ct.len() > MAX_CONTENT_TYPE_BYTES
    {
        return Err(Error::invalid_input(format!(
            "content type is {} bytes; the limit is {MAX_CONTENT_TYPE_BYTES}",
            ct.len()
        )));
    }
    Ok(())
}

pub fn put(
    root: &Root,
    container: &str,
    key: &str,
    body: &mut dyn Body,
    opts: PutOptions,
) -> Result<ObjectMeta> {
    check_put(root, container, key, &opts)?;
    let what = describe(container, key);
    let doing = format!("writing {what}");
    let gone = || {
        Error::not_found(format!(
            "container '{container}' was deleted while {what} was being written"
        ))
    };
    let tmp_dir = root.tmp(container);
    // A `tmp/` removed by hand is made again; it cannot be made when the
    // container itself is gone.
    let created = TempFile::create_in(&tmp_dir).or_else(|e| match e.kind() {
        ErrorKind::NotFound => {
            fs::create_dir(&tmp_dir).and_then(|()| TempFile::create_in(&tmp_dir))
        }
        _ => Err(e),
    });
    let mut temp = match created {
        Ok(temp) => temp,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(gone()),
        Err(e) => return Err(io_error(e, &doing)),
    };

    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = body.read(BODY_CHUNK)? {
        hasher.update(&chunk);
        size += chunk.len() as u64;
        temp.file
            .write_all(&chunk)
            .map_err(|e| io_error(e, &doing))?;
    }
    let record = Record {
        key: key.to_owned(),
        size,
        etag: hex::encode(hasher.finalize()),
        content_type: opts.content_type,
        metadata: opts.metadata,
    };
    record::write_tail(&mut temp.file, &record).map_err(|e| io_error(e, &doing))?;
    // Durable before it becomes visible: after a crash the key holds the old
    // object or the new one, never a file whose blocks were not written.
    temp.file.sync_all().map_err(|e| io_error(e, &doing))?;
    let modified_ms = temp
        .file
        .metadata()
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64);

    let objects = root.objects(container);
    let rel = object_path(key);
    match commit(&temp.path, &objects, &rel) {
        Ok(()) => temp.keep(),
        Err(e) if e.kind() == ErrorKind::NotFound && !objects.is_dir() => return Err(gone()),
        Err(e) => return Err(io_error(e, &doing)),
    }
    if let Some(parent) = objects.join(&rel).parent() {
        sync_dir(parent);
    }
    sweep(&tmp_dir, STALE_TEMP_MS);
    Ok(record.to_meta(modified_ms))
}

/// Renames `temp` to `objects/rel`, creating the folders on the way. Each
/// folder is created on its own, never the objects folder itself, so a put
/// racing a container's deletion cannot bring the container back.
fn commit(temp: &Path, objects: &Path, rel: &Path) -> std::io::Result<()> {
    let dest = objects.join(rel);
    let mut last = None;
    for _ in 0..COMMIT_ATTEMPTS {
        let mut dir = objects.to_path_buf();
        let mut parents = rel.parent().into_iter().flat_map(Path::components);
        let made = parents.try_for_each(|part| {
            dir.push(part);
            match fs::create_dir(&dir) {
                Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(e),
                _ => Ok(()),
            }
        });
        let result = made.and_then(|()| fs::rename(temp, &dest));
        match result {
            // A concurrent delete removed a folder that was empty for a
            // moment; make it again unless the container itself is gone.
            Err(e) if e.kind() == ErrorKind::NotFound && objects.is_dir() && temp.exists() => {
                last = Some(e);
            }
            other => return other,
        }
    }
    Err(last.expect("at least one attempt"))
}

/// The object's open file and record; `not-found` naming what is missing.
fn open(root: &Root, container: &str, key: &str) -> Result<(File, Record, u64)> {
    containers::require(root, container)?;
    check_key(key)?;
    let what = describe(container, key);
    let file = match File::open(root.objects(container).join(object_path(key))) {
        Ok(file) => file,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Err(Error::not_found(format!("{what} does not exist")));
        }
        Err(e) => return Err(io_error(e, &format!("reading {what}"))),
    };
    let (mut record, modified_ms) = record::read(&file, &what)?;
    record.key = key.to_owned();
    Ok((file, record, modified_ms))
}

pub fn head(root: &Root, container: &str, key: &str) -> Result<ObjectMeta> {
    let (_, record, modified_ms) = open(root, container, key)?;
    Ok(record.to_meta(modified_ms))
}

/// What `get` serves: the object's metadata, the range actually read and a
/// reader positioned at its start.
#[derive(Debug)]
pub struct Served {
    pub meta: ObjectMeta,
    pub offset: u64,
    pub length: u64,
    pub reader: FileReader,
}

/// The whole object, or a range of it. As in S3 (HTTP 416), a range must
/// start on a byte of the object: an offset at or past the end is
/// `invalid-input`, except offset 0 of an empty object. A range running past
/// the end is cut at the end.
pub fn get(root: &Root, container: &str, key: &str, range: Option<ByteRange>) -> Result<Served> {
    let (mut file, record, modified_ms) = open(root, container, key)?;
    let size = record.size;
    let (offset, length) = match range {
        None => (0, size),
        Some(ByteRange { offset, .. }) if offset >= size && !(offset == 0 && size == 0) => {
            return Err(Error::invalid_input(format!(
                "range starts at byte {offset}, past the end of '{key}' ({size} bytes); \
                 a range must start at a byte of the object, below its size"
            )));
        }
        Some(ByteRange { offset, length }) => {
            (offset, length.unwrap_or(u64::MAX).min(size - offset))
        }
    };
    let what = describe(container, key);
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| io_error(e, &format!("reading {what}")))?;
    Ok(Served {
        meta: record.to_meta(modified_ms),
        offset,
        length,
        reader: FileReader::new(file, length, what),
    })
}

/// Missing keys succeed, as in S3; a missing container does not. Folders
/// left empty are removed, so the tree holds no dead ends for `list`.
pub fn delete(root: &Root, container: &str, key: &str) -> Result<()> {
    containers::require(root, container)?;
    check_key(key)?;
    let objects = root.objects(container);
    let rel = object_path(key);
    match fs::remove_file(objects.join(&rel)) {
        Ok(()) => {}
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(());
        }
        Err(e) => {
            return Err(io_error(
                e,
                &format!("deleting {}", describe(container, key)),
            ));
        }
    }
    // Deepest first; a folder that still holds something (or was just
    // reused by a put) stops the climb. A put that loses its folder here
    // makes it again (see `commit`).
    for parent in rel.ancestors().skip(1) {
        if parent.as_os_str().is_empty() || fs::remove_dir(objects.join(parent)).is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BOX, Fixture, MemBody, drain, pseudo_random, sha256_hex};

    /// `ObjectMeta` (generated) has no `PartialEq`.
    fn same(a: &ObjectMeta, b: &ObjectMeta) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    fn opts() -> PutOptions {
        PutOptions {
            content_type: Some("image/png".into()),
            metadata: vec![
                ("owner".into(), "ann".into()),
                ("team".into(), "ops".into()),
            ],
        }
    }

    #[test]
    fn put_head_get_and_replace() {
        let f = Fixture::new();
        // Larger than one body chunk, served in uneven chunks.
        let bytes = pseudo_random(3 * BODY_CHUNK as usize + 12_345, 7);
        let mut body = MemBody::new(&bytes);
        body.chunk = 700_000;
        let meta = put(&f.root, BOX, "photos/2024/IMG_1.png", &mut body, opts()).unwrap();
        assert_eq!(meta.key, "photos/2024/IMG_1.png");
        assert_eq!(meta.size, bytes.len() as u64);
        assert_eq!(meta.etag, sha256_hex(&bytes));
        assert_eq!(meta.content_type.as_deref(), Some("image/png"));
        assert_eq!(meta.metadata, opts().metadata);
        assert!(meta.modified_ms > 1_600_000_000_000);

        same(&head(&f.root, BOX, "photos/2024/IMG_1.png").unwrap(), &meta);
        let served = get(&f.root, BOX, "photos/2024/IMG_1.png", None).unwrap();
        assert_eq!((served.offset, served.length), (0, bytes.len() as u64));
        same(&served.meta, &meta);
        assert_eq!(drain(&served), bytes);
        // The file on disk starts with the content itself.
        let on_disk = f
            .root
            .objects(BOX)
            .join("photos.dir/2024.dir/^i^m^g_1.png.obj");
        assert_eq!(fs::read(on_disk).unwrap()[..100], bytes[..100]);

        let replaced = f.put("photos/2024/IMG_1.png", b"bye").unwrap();
        assert_ne!(replaced.etag, meta.etag);
        assert_eq!((replaced.content_type, replaced.metadata), (None, vec![]));
        let served = get(&f.root, BOX, "photos/2024/IMG_1.png", None).unwrap();
        assert_eq!(drain(&served), b"bye");
        assert!(f.temp_files().is_empty());
    }

    #[test]
    fn empty_objects() {
        let f = Fixture::new();
        let meta = f.put("empty", b"").unwrap();
        assert_eq!(
            (meta.size, meta.etag.as_str()),
            (0, sha256_hex(b"").as_str())
        );
        assert!(drain(&get(&f.root, BOX, "empty", None).unwrap()).is_empty());
        let r = |offset| {
            get(
                &f.root,
                BOX,
                "empty",
                Some(ByteRange {
                    offset,
                    length: None,
                }),
            )
        };
        assert_eq!(r(0).unwrap().length, 0);
        assert_eq!(r(1).unwrap_err().kind(), "invalid-input");
    }

    #[test]
    fn ranges() {
        let f = Fixture::new();
        f.put("digits", b"0123456789").unwrap();
        let r = |offset, length| get(&f.root, BOX, "digits", Some(ByteRange { offset, length }));
        let s = r(2, Some(3)).unwrap();
        assert_eq!((s.offset, s.length, drain(&s)), (2, 3, b"234".to_vec()));
        assert_eq!(s.meta.size, 10);
        let s = r(8, Some(100)).unwrap();
        assert_eq!((s.length, drain(&s)), (2, b"89".to_vec()));
        assert_eq!(drain(&r(7, None).unwrap()), b"789");
        assert_eq!(drain(&r(9, None).unwrap()), b"9");
        assert_eq!(drain(&r(0, None).unwrap()), b"0123456789");
        assert!(drain(&r(3, Some(0)).unwrap()).is_empty());
        for past in [10, 11, u64::MAX] {
            let e = r(past, None).unwrap_err();
            assert_eq!(e.kind(), "invalid-input");
            assert!(e.message().contains("past the end"), "{}", e.message());
        }

        // A range across body chunks of a large object.
        let big = pseudo_random(3 << 20, 3);
        f.put("big", &big).unwrap();
        let s = get(
            &f.root,
            BOX,
            "big",
            Some(ByteRange {
                offset: 1_500_000,
                length: Some(1_000_000),
            }),
        )
        .unwrap();
        assert_eq!(drain(&s), &big[1_500_000..2_500_000]);
    }

    #[test]
    fn delete_is_idempotent_and_prunes_empty_folders() {
        let f = Fixture::new();
        f.put("a/b/c", b"1").unwrap();
        f.put("a/d", b"2").unwrap();
        delete(&f.root, BOX, "a/b/c").unwrap();
        assert_eq!(head(&f.root, BOX, "a/b/c").unwrap_err().kind(), "not-found");
        delete(&f.root, BOX, "a/b/c").unwrap();
        delete(&f.root, BOX, "never/there").unwrap();
        assert!(!f.root.objects(BOX).join("a.dir/b.dir").exists());
        assert_eq!(drain(&get(&f.root, BOX, "a/d", None).unwrap()), b"2");
        delete(&f.root, BOX, "a/d").unwrap();
        assert!(fs::read_dir(f.root.objects(BOX)).unwrap().next().is_none());
        let e = delete(&f.root, "nope", "a").unwrap_err();
        assert_eq!(e.kind(), "not-found");
        assert!(e.message().contains("create-container"), "{}", e.message());
    }

    #[test]
    fn not_found_names_what_is_missing() {
        let f = Fixture::new();
        let e = head(&f.root, BOX, "x/y").unwrap_err();
        assert_eq!(e.kind(), "not-found");
        assert!(e.message().contains("'x/y'") && e.message().contains("'box'"));
        assert_eq!(
            get(&f.root, "nope", "x", None).unwrap_err().kind(),
            "not-found"
        );
        let e = f
            .put("x", b"1")
            .map(|_| ())
            .and_then(|()| put(&f.root, "nope", "x", &mut MemBody::new(b"1"), opts()).map(|_| ()));
        assert!(
            e.unwrap_err()
                .message()
                .contains("container 'nope' does not exist")
        );
        // An object is not a folder: key "x/y" below object "x" is missing.
        assert_eq!(head(&f.root, BOX, "x/y").unwrap_err().kind(), "not-found");
    }

    #[test]
    fn invalid_keys_and_options_are_refused_before_reading() {
        let f = Fixture::new();
        for key in ["../x", "a//b", "/abs", "a\0b", "a\\b", "a/", "", "a/./b"] {
            let mut body = MemBody::new(b"x");
            body.fail_after = Some(0); // reading the body would fail the test
            let e = put(&f.root, BOX, key, &mut body, opts()).unwrap_err();
            assert_eq!(e.kind(), "invalid-input", "{key:?}");
            assert_eq!(head(&f.root, BOX, key).unwrap_err().kind(), "invalid-input");
            assert_eq!(
                delete(&f.root, BOX, key).unwrap_err().kind(),
                "invalid-input"
            );
            assert_eq!(
                get(&f.root, BOX, key, None).unwrap_err().kind(),
                "invalid-input"
            );
        }
        let big = PutOptions {
            content_type: None,
            metadata: vec![("k".into(), "v".repeat(4096))],
        };
        let e = put(&f.root, BOX, "k", &mut MemBody::new(b""), big).unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        let unnamed = PutOptions {
            content_type: None,
            metadata: vec![(String::new(), "v".into())],
        };
        assert!(put(&f.root, BOX, "k", &mut MemBody::new(b""), unnamed).is_err());
        assert!(fs::read_dir(f.root.objects(BOX)).unwrap().next().is_none());
        assert!(f.temp_files().is_empty());
    }

    #[test]
    fn a_failed_body_leaves_the_old_object_and_no_temp_file() {
        let f = Fixture::new();
        f.put("k", b"old").unwrap();
        let mut body = MemBody::new(&pseudo_random(5 << 20, 1));
        body.fail_after = Some(2 << 20);
        let e = put(&f.root, BOX, "k", &mut body, opts()).unwrap_err();
        assert_eq!(e.kind(), "unavailable");
        assert_eq!(drain(&get(&f.root, BOX, "k", None).unwrap()), b"old");
        assert!(f.temp_files().is_empty());
    }

    #[test]
    fn a_missing_tmp_folder_is_made_again() {
        let f = Fixture::new();
        fs::remove_dir(f.root.tmp(BOX)).unwrap();
        f.put("k", b"v").unwrap();
        assert!(f.temp_files().is_empty());
    }

    #[test]
    fn stale_temp_files_are_swept_by_a_later_put() {
        let f = Fixture::new();
        let stale = f.root.tmp(BOX).join("dead.part");
        fs::write(&stale, b"partial").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let fresh = f.root.tmp(BOX).join("live.part");
        fs::write(&fresh, b"in flight").unwrap();
        f.put("k", b"v").unwrap();
        assert_eq!(f.temp_files(), ["live.part"]);
    }

    #[test]
    fn long_and_unusual_keys() {
        let f = Fixture::new();
        let keys = [
            "é".repeat(512),                                    // 1024 bytes, one segment
            format!("{}/{}", "Ab".repeat(300), "z".repeat(80)), // uppercase, 80-byte tail
            "x".repeat(80),
            "x".repeat(160),
            "%^~ ünï/ça va?/[1]".to_owned(),
        ];
        for (i, key) in keys.iter().enumerate() {
            let bytes = format!("body {i}");
            f.put(key, bytes.as_bytes()).unwrap();
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(head(&f.root, BOX, key).unwrap().key, *key);
            let served = get(&f.root, BOX, key, None).unwrap();
            assert_eq!(drain(&served), format!("body {i}").as_bytes());
        }
        for key in &keys {
            delete(&f.root, BOX, key).unwrap();
        }
        assert!(fs::read_dir(f.root.objects(BOX)).unwrap().next().is_none());
    }

    #[test]
    fn concurrent_puts_of_one_key_leave_a_complete_object() {
        let f = Fixture::new();
        let versions: Vec<Vec<u8>> = (0..6)
            .map(|i| pseudo_random(600_000 + i * 1000, i as u64 + 11))
            .collect();
        f.put("hot/key", &versions[0]).unwrap();
        std::thread::scope(|s| {
            for v in &versions {
                let f = &f;
                s.spawn(move || {
                    for _ in 0..5 {
                        let mut body = MemBody::new(v);
                        body.chunk = 64 * 1024;
                        put(&f.root, BOX, "hot/key", &mut body, opts()).unwrap();
                    }
                });
            }
            // Readers meanwhile always see one whole version, its metadata
            // matching its bytes.
            for _ in 0..2 {
                let (f, versions) = (&f, &versions);
                s.spawn(move || {
                    for _ in 0..40 {
                        let served = get(&f.root, BOX, "hot/key", None).unwrap();
                        let bytes = drain(&served);
                        assert_eq!(served.meta.etag, sha256_hex(&bytes));
                        assert_eq!(served.meta.size, bytes.len() as u64);
                        assert!(versions.contains(&bytes));
                    }
                });
            }
        });
        let bytes = drain(&get(&f.root, BOX, "hot/key", None).unwrap());
        assert!(versions.contains(&bytes));
        assert!(f.temp_files().is_empty());
    }

    #[test]
    fn puts_racing_deletes_in_one_folder_all_land() {
        // Deleting the last key of a folder removes the folder, while another
        // put may be about to rename into it: that put makes it again.
        let f = Fixture::new();
        std::thread::scope(|s| {
            let f = &f;
            s.spawn(move || {
                for i in 0..150 {
                    f.put("d/e/kept", format!("{i}").as_bytes()).unwrap();
                    delete(&f.root, BOX, "d/e/kept").unwrap();
                }
            });
            s.spawn(move || {
                for i in 0..150 {
                    f.put("d/e/churn", format!("{i}").as_bytes()).unwrap();
                    delete(&f.root, BOX, "d/e/churn").unwrap();
                }
            });
        });
        f.put("d/e/last", b"x").unwrap();
        assert_eq!(drain(&get(&f.root, BOX, "d/e/last", None).unwrap()), b"x");
    }

    #[test]
    fn containers_with_objects_are_not_deleted() {
        let f = Fixture::new();
        f.put("deep/down/k", b"x").unwrap();
        let e = containers::delete(&f.root, BOX).unwrap_err();
        assert_eq!(e.kind(), "conflict");
        assert!(e.message().contains("still holds objects"));
        delete(&f.root, BOX, "deep/down/k").unwrap();
        containers::delete(&f.root, BOX).unwrap();
        assert_eq!(f.put("k", b"x").unwrap_err().kind(), "not-found");
    }
}
