//! The object file: the content, then its metadata, in one file.
//!
//! ```text
//! [content: size bytes][record: JSON, n bytes][n: u64 little-endian][MAGIC]
//! ```
//!
//! One file per object is what makes a `put` atomic with nothing but a
//! rename: a reader opens one file and reads content and metadata that were
//! written together, whatever puts and deletes run meanwhile (a replaced or
//! deleted file lives on for whoever has it open). A sidecar metadata file
//! would need two renames, and a reader between them would pair new bytes
//! with an old etag. The record goes last because the etag and size are
//! known only once the body has been read; the content starts at byte 0, so
//! `head -c <size>` of the file is the object.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::UNIX_EPOCH;

use paddock_sdk::storage::ObjectMeta;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::fsx::io_error;

/// The last bytes of every object file ("paddock local object", format 1).
pub const MAGIC: &[u8; 8] = b"PDKLOC01";
/// The record's length and [`MAGIC`].
const TAIL: u64 = 16;
/// No record this driver writes comes near this; a larger length means the
/// file is not one of ours.
const MAX_RECORD: u64 = 64 * 1024;

/// What is stored about an object beside its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The key, for whoever reads the folder by hand; the path is what
    /// counts.
    pub key: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub etag: String,
    pub content_type: Option<String>,
    pub metadata: Vec<(String, String)>,
}

impl Record {
    pub fn to_meta(&self, modified_ms: u64) -> ObjectMeta {
        ObjectMeta {
            key: self.key.clone(),
            size: self.size,
            etag: self.etag.clone(),
            content_type: self.content_type.clone(),
            modified_ms,
            metadata: self.metadata.clone(),
        }
    }
}

/// Appends the record and the tail after the content already written.
pub fn write_tail(out: &mut impl Write, record: &Record) -> std::io::Result<()> {
    let json = serde_json::to_vec(record)?;
    out.write_all(&json)?;
    out.write_all(&(json.len() as u64).to_le_bytes())?;
    out.write_all(MAGIC)
}

/// The record of an open object file and its modification time (ms since
/// the epoch), reading only the file's tail. `what` names the object in
/// messages.
pub fn read(file: &File, what: &str) -> Result<(Record, u64)> {
    let stat = file
        .metadata()
        .map_err(|e| io_error(e, &format!("reading {what}")))?;
    let len = stat.len();
    let corrupt = |why: &str| {
        Error::vendor(
            "corrupt-object",
            format!(
                "{what} is not a valid object file ({why}); it was changed outside paddock: \
                 delete the object or restore the file"
            ),
        )
    };
    if len < TAIL {
        return Err(corrupt("too short"));
    }
    let mut tail = [0u8; TAIL as usize];
    read_at(file, len - TAIL, &mut tail).map_err(|e| io_error(e, &format!("reading {what}")))?;
    if &tail[8..] != MAGIC {
        return Err(corrupt("no end marker"));
    }
    let n = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
    if n > MAX_RECORD || n > len - TAIL {
        return Err(corrupt("bad record length"));
    }
    let mut json = vec![0u8; n as usize];
    read_at(file, len - TAIL - n, &mut json)
        .map_err(|e| io_error(e, &format!("reading {what}")))?;
    let record: Record = serde_json::from_slice(&json).map_err(|_| corrupt("unreadable record"))?;
    if record.size != len - TAIL - n {
        return Err(corrupt("size does not match the file"));
    }
    let modified_ms = stat
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64);
    Ok((record, modified_ms))
}

fn read_at(mut file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            key: "a/b".into(),
            size: 5,
            etag: "e".into(),
            content_type: Some("text/plain".into()),
            metadata: vec![("k".into(), "v".into())],
        }
    }

    fn file_with(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn tail_round_trips() {
        let mut bytes = b"hello".to_vec();
        write_tail(&mut bytes, &record()).unwrap();
        let (r, modified_ms) = read(&file_with(&bytes), "object 'a/b'").unwrap();
        assert_eq!(r, record());
        assert!(modified_ms > 1_600_000_000_000);
        assert_eq!(r.to_meta(7).modified_ms, 7);
    }

    #[test]
    fn foreign_files_are_corrupt() {
        let mut good = b"hello".to_vec();
        write_tail(&mut good, &record()).unwrap();
        let mut longer = b"hello!".to_vec();
        write_tail(&mut longer, &record()).unwrap();
        for bytes in [
            &b""[..],
            b"plain text that is long enough",
            &good[1..],
            &longer,
        ] {
            let e = read(&file_with(bytes), "object 'a/b'").unwrap_err();
            assert_eq!(e.kind(), "vendor");
            assert!(e.message().contains("object 'a/b'"), "{}", e.message());
        }
    }
}
