//! The `object-reader` of `get`: serves a range of an open object file in
//! chunks of at most the size the host asks for, so memory stays flat.

use std::cell::Cell;
use std::fs::File;
use std::io::{ErrorKind, Read};

use paddock_sdk::storage::ObjectReader;
use paddock_sdk::{Error, Result};

use crate::fsx::io_error;

/// The most bytes one read returns, whatever the host asks for.
const MAX_READ: u32 = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct FileReader {
    /// Positioned at the next byte to serve. The file stays open for the
    /// whole read, so a concurrent put or delete of the key (a rename or an
    /// unlink) does not change what this reader serves.
    file: File,
    remaining: Cell<u64>,
    /// The object, for messages.
    what: String,
}

impl FileReader {
    pub fn new(file: File, length: u64, what: String) -> Self {
        Self {
            file,
            remaining: Cell::new(length),
            what,
        }
    }
}

impl ObjectReader for FileReader {
    fn read(&self, max: u32) -> Result<Option<Vec<u8>>> {
        if max == 0 {
            // An empty chunk would look like progress and never end.
            return Err(Error::invalid_input("read needs max of at least 1 byte"));
        }
        let remaining = self.remaining.get();
        if remaining == 0 {
            return Ok(None);
        }
        let want = remaining.min(u64::from(max.min(MAX_READ))) as usize;
        let mut buf = vec![0u8; want];
        let mut filled = 0;
        while filled < want {
            match (&self.file).read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e, &format!("reading {}", self.what))),
            }
        }
        if filled == 0 {
            return Err(Error::vendor(
                "corrupt-object",
                format!(
                    "{} ended {remaining} bytes early: its file was truncated outside paddock",
                    self.what
                ),
            ));
        }
        buf.truncate(filled);
        self.remaining.set(remaining - filled as u64);
        Ok(Some(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};

    fn reader(bytes: &[u8], offset: u64, length: u64) -> FileReader {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f.seek(SeekFrom::Start(offset)).unwrap();
        FileReader::new(f, length, "object 'k'".into())
    }

    #[test]
    fn chunks_within_the_range_then_ends() {
        let r = reader(b"abcdefgTRAILER", 1, 6);
        assert_eq!(r.read(4).unwrap().unwrap(), b"bcde");
        assert_eq!(r.read(4).unwrap().unwrap(), b"fg");
        assert!(r.read(4).unwrap().is_none());
        assert!(r.read(0).is_err());
        assert!(reader(b"", 0, 0).read(1).unwrap().is_none());
    }

    #[test]
    fn a_truncated_file_is_an_error_not_an_endless_stream() {
        let r = reader(b"abc", 0, 10);
        assert_eq!(r.read(10).unwrap().unwrap(), b"abc");
        let e = r.read(10).unwrap_err();
        assert_eq!(e.kind(), "vendor");
        assert!(e.message().contains("7 bytes early"), "{}", e.message());
    }
}
