//! How requests reach S3 and bodies reach the driver, behind two small
//! traits so the verbs are unit-tested natively with a fake S3 and a fake
//! body.

use paddock_sdk::Result;
use paddock_sdk::http::{HttpError, Request, Response};
use paddock_sdk::storage::BodySource;

use crate::errors::{Subject, from_response};

/// Sends requests.
pub trait Transport {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError>;
}

/// `wasi:http`, through the host (which signs and polices every request).
pub struct WasiHttp;

impl Transport for WasiHttp {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError> {
        request.send()
    }
}

/// Sends `request`: the response when S3 answered 2xx, the error otherwise.
pub fn call(t: &dyn Transport, request: Request<'_>, subject: Subject<'_>) -> Result<Response> {
    let response = t.send(request)?;
    if response.is_success() {
        Ok(response)
    } else {
        Err(from_response(response, subject))
    }
}

/// The bytes of a `put`.
pub trait Body {
    /// Up to `max` bytes; `None` at the end.
    fn read(&self, max: u32) -> Result<Option<Vec<u8>>>;
    /// The size the caller declared.
    fn size(&self) -> Option<u64>;
}

impl Body for BodySource {
    fn read(&self, max: u32) -> Result<Option<Vec<u8>>> {
        BodySource::read(self, max)
    }
    fn size(&self) -> Option<u64> {
        BodySource::size(self)
    }
}

/// Reads `body` into `buf` until it holds `cap` bytes or the body ends;
/// whether it ended.
pub fn fill(body: &dyn Body, buf: &mut Vec<u8>, cap: u64) -> Result<bool> {
    const CHUNK: u64 = 1 << 20;
    while (buf.len() as u64) < cap {
        let want = (cap - buf.len() as u64).min(CHUNK) as u32;
        match body.read(want)? {
            Some(chunk) => buf.extend_from_slice(&chunk),
            None => return Ok(true),
        }
    }
    Ok(false)
}

#[cfg(test)]
pub mod fake {
    //! A scripted S3 and an in-memory body.

    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    use paddock_sdk::Result;
    use paddock_sdk::http::{Headers, HttpError, Method, Request, Response};

    /// One request as sent.
    #[derive(Debug, Clone)]
    pub struct Sent {
        pub method: Method,
        pub url: String,
        pub headers: Headers,
        pub body: Option<Vec<u8>>,
    }

    /// Answers requests with the scripted responses, in order, and records them.
    #[derive(Default)]
    pub struct FakeS3 {
        pub sent: RefCell<Vec<Sent>>,
        answers: RefCell<VecDeque<Result<Response, HttpError>>>,
    }

    impl FakeS3 {
        pub fn new() -> Self {
            Self::default()
        }

        /// Scripts the next answer.
        pub fn answer(&self, status: u16, headers: &[(&str, &str)], body: &str) -> &Self {
            let headers: Headers = headers.iter().copied().collect();
            self.answers.borrow_mut().push_back(Ok(Response::from_bytes(
                status,
                headers,
                body.as_bytes().to_vec(),
            )));
            self
        }

        /// Scripts a transport failure.
        pub fn fail(&self, e: HttpError) -> &Self {
            self.answers.borrow_mut().push_back(Err(e));
            self
        }

        /// `METHOD url` of each request, in order.
        pub fn lines(&self) -> Vec<String> {
            self.sent
                .borrow()
                .iter()
                .map(|s| format!("{} {}", s.method, s.url))
                .collect()
        }
    }

    impl super::Transport for FakeS3 {
        fn send(&self, request: Request<'_>) -> Result<Response, HttpError> {
            self.sent.borrow_mut().push(Sent {
                method: request.method(),
                url: request.url().to_owned(),
                headers: request.headers().clone(),
                body: request.body_bytes().map(<[u8]>::to_vec),
            });
            self.answers
                .borrow_mut()
                .pop_front()
                .expect("the fake S3 has no answer scripted for this request")
        }
    }

    /// A body served from memory in chunks of at most `chunk` bytes.
    pub struct MemBody {
        bytes: Vec<u8>,
        pos: Cell<usize>,
        chunk: usize,
        declared: Option<u64>,
    }

    impl MemBody {
        pub fn new(bytes: Vec<u8>, declared: Option<u64>) -> Self {
            MemBody {
                bytes,
                pos: Cell::new(0),
                chunk: 3,
                declared,
            }
        }

        /// `bytes`, declared with their true size.
        pub fn sized(bytes: &[u8]) -> Self {
            Self::new(bytes.to_vec(), Some(bytes.len() as u64))
        }
    }

    impl super::Body for MemBody {
        fn read(&self, max: u32) -> Result<Option<Vec<u8>>> {
            let pos = self.pos.get();
            if pos >= self.bytes.len() {
                return Ok(None);
            }
            let end = self.bytes.len().min(pos + (max as usize).min(self.chunk));
            self.pos.set(end);
            Ok(Some(self.bytes[pos..end].to_vec()))
        }
        fn size(&self) -> Option<u64> {
            self.declared
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::MemBody;
    use super::*;

    #[test]
    fn fill_stops_at_the_cap_or_the_end() {
        let body = MemBody::new(b"abcdefgh".to_vec(), None);
        let mut buf = Vec::new();
        assert!(!fill(&body, &mut buf, 5).unwrap());
        assert_eq!(buf, b"abcde");
        buf.clear();
        assert!(fill(&body, &mut buf, 5).unwrap());
        assert_eq!(buf, b"fgh");
        buf.clear();
        assert!(fill(&body, &mut buf, 5).unwrap());
        assert!(buf.is_empty());
    }
}
