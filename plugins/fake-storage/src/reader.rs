//! The `object-reader` of `get`: serves bytes already in guest memory in
//! chunks of at most the size the host asks for.

use std::cell::Cell;

use paddock_sdk::storage::ObjectReader;
use paddock_sdk::{Error, Result};

pub struct BytesReader {
    bytes: Vec<u8>,
    pos: Cell<usize>,
}

impl BytesReader {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            pos: Cell::new(0),
        }
    }
}

impl ObjectReader for BytesReader {
    fn read(&self, max: u32) -> Result<Option<Vec<u8>>> {
        if max == 0 {
            // An empty chunk would look like progress and never end.
            return Err(Error::invalid_input("read needs max of at least 1 byte"));
        }
        let pos = self.pos.get();
        if pos >= self.bytes.len() {
            return Ok(None);
        }
        let end = self.bytes.len().min(pos + max as usize);
        self.pos.set(end);
        Ok(Some(self.bytes[pos..end].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_then_ends() {
        let r = BytesReader::new(b"abcdefg".to_vec());
        assert_eq!(r.read(3).unwrap().unwrap(), b"abc");
        assert_eq!(r.read(3).unwrap().unwrap(), b"def");
        assert_eq!(r.read(3).unwrap().unwrap(), b"g");
        assert!(r.read(3).unwrap().is_none());
        assert!(r.read(0).is_err());
        assert!(BytesReader::new(vec![]).read(1).unwrap().is_none());
    }
}
