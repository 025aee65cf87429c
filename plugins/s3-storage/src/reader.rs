//! The `object-reader` of `get`: streams the body of the `GetObject`
//! response as the host pulls it, holding only the chunk in flight.

use std::cell::RefCell;

use paddock_sdk::http::Response;
use paddock_sdk::storage::ObjectReader;
use paddock_sdk::{Error, Result};

/// Reads `length` bytes after skipping `skip` (a server that ignored the
/// `Range` header sends the whole object).
pub struct S3Reader {
    state: RefCell<State>,
}

struct State {
    /// `None` once the range is served: the connection is released.
    response: Option<Response>,
    skip: u64,
    remaining: u64,
    key: String,
}

impl S3Reader {
    pub fn new(response: Option<Response>, skip: u64, length: u64, key: &str) -> Self {
        S3Reader {
            state: RefCell::new(State {
                response,
                skip,
                remaining: length,
                key: key.to_owned(),
            }),
        }
    }
}

impl ObjectReader for S3Reader {
    fn read(&self, max: u32) -> Result<Option<Vec<u8>>> {
        if max == 0 {
            // An empty chunk would look like progress and never end.
            return Err(Error::invalid_input("read needs max of at least 1 byte"));
        }
        let mut state = self.state.borrow_mut();
        let State {
            response,
            skip,
            remaining,
            key,
        } = &mut *state;
        if *remaining == 0 {
            *response = None;
            return Ok(None);
        }
        let Some(body) = response.as_mut() else {
            return Ok(None);
        };
        let ended = |key: &str, left: u64| {
            Error::unavailable(
                format!(
                    "the S3 server ended the body of '{key}' {left} bytes early; read it again"
                ),
                None,
            )
        };
        while *skip > 0 {
            let n = (*skip).min(64 * 1024) as usize;
            match body.read_chunk(n)? {
                Some(chunk) => *skip -= chunk.len() as u64,
                None => return Err(ended(key, *remaining)),
            }
        }
        let want = u64::from(max).min(*remaining) as usize;
        match body.read_chunk(want)? {
            Some(chunk) => {
                *remaining -= chunk.len() as u64;
                Ok(Some(chunk))
            }
            None => Err(ended(key, *remaining)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::http::Headers;

    fn response(body: &[u8]) -> Option<Response> {
        Some(Response::from_bytes(200, Headers::new(), body.to_vec()))
    }

    #[test]
    fn serves_the_range_in_chunks() {
        let r = S3Reader::new(response(b"abcdefg"), 0, 7, "k");
        assert_eq!(r.read(3).unwrap().unwrap(), b"abc");
        assert_eq!(r.read(3).unwrap().unwrap(), b"def");
        assert_eq!(r.read(3).unwrap().unwrap(), b"g");
        assert!(r.read(3).unwrap().is_none());
        assert!(r.read(0).is_err());
    }

    #[test]
    fn skips_and_cuts_when_the_server_sent_everything() {
        let r = S3Reader::new(response(b"abcdefg"), 2, 3, "k");
        assert_eq!(r.read(10).unwrap().unwrap(), b"cde");
        assert!(r.read(10).unwrap().is_none());
    }

    #[test]
    fn a_short_body_is_an_error_not_an_end() {
        let r = S3Reader::new(response(b"abc"), 0, 5, "k");
        assert_eq!(r.read(10).unwrap().unwrap(), b"abc");
        assert_eq!(r.read(10).unwrap_err().kind(), "unavailable");
        let r = S3Reader::new(response(b"abc"), 5, 1, "k");
        assert_eq!(r.read(10).unwrap_err().kind(), "unavailable");
    }

    #[test]
    fn empty_ranges_need_no_response() {
        let r = S3Reader::new(None, 0, 0, "k");
        assert!(r.read(10).unwrap().is_none());
    }
}
