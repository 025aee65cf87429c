//! Helpers of the native unit tests: a temporary root with a container, and
//! bodies served from memory.

use paddock_sdk::storage::{ObjectMeta, ObjectReader, PutOptions};
use paddock_sdk::{Error, Result};

use crate::containers;
use crate::layout::{Root, object_path};
use crate::objects::{self, Body, Served};
use crate::record::{self, Record};

/// The container every fixture has.
pub const BOX: &str = "box";

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub root: Root,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        containers::create(&root, BOX, 1).unwrap();
        Fixture { _dir: dir, root }
    }

    pub fn put(&self, key: &str, bytes: &[u8]) -> Result<ObjectMeta> {
        objects::put(
            &self.root,
            BOX,
            key,
            &mut MemBody::new(bytes),
            PutOptions {
                content_type: None,
                metadata: vec![],
            },
        )
    }

    /// Writes an object file as `put` leaves it, without the syncs that make
    /// thousands of puts slow.
    pub fn plant(&self, key: &str, bytes: &[u8]) {
        let path = self.root.objects(BOX).join(object_path(key));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut content = bytes.to_vec();
        let record = Record {
            key: key.to_owned(),
            size: bytes.len() as u64,
            etag: sha256_hex(bytes),
            content_type: None,
            metadata: vec![],
        };
        record::write_tail(&mut content, &record).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// The names in the container's `tmp/`.
    pub fn temp_files(&self) -> Vec<String> {
        std::fs::read_dir(self.root.tmp(BOX))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// A body served from memory in chunks of at most `chunk` bytes, failing
/// after `fail_after` bytes when set (a caller that went away).
pub struct MemBody {
    bytes: Vec<u8>,
    pos: usize,
    pub chunk: usize,
    pub fail_after: Option<usize>,
}

impl MemBody {
    pub fn new(bytes: &[u8]) -> Self {
        MemBody {
            bytes: bytes.to_vec(),
            pos: 0,
            chunk: usize::MAX,
            fail_after: None,
        }
    }
}

impl Body for MemBody {
    fn read(&mut self, max: u32) -> Result<Option<Vec<u8>>> {
        if self.fail_after.is_some_and(|n| self.pos >= n) {
            return Err(Error::unavailable("the caller went away", None));
        }
        if self.pos == self.bytes.len() {
            return Ok(None);
        }
        let end = self
            .bytes
            .len()
            .min(self.pos + self.chunk.min(max as usize));
        let out = self.bytes[self.pos..end].to_vec();
        self.pos = end;
        Ok(Some(out))
    }
}

/// Everything a `get` serves, pulled in the host's chunk size.
pub fn drain(served: &Served) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = served.reader.read(256 * 1024).unwrap() {
        out.extend_from_slice(&chunk);
    }
    out
}

/// Deterministic bytes that are not a repeating short pattern.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
