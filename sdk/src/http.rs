//! Outbound HTTP for drivers: a small blocking client over the standard
//! `wasi:http/outgoing-handler` the host links (feature `http`).
//!
//! ```ignore
//! use paddock_sdk::http::Request;
//!
//! let mut resp = Request::get("https://api.example.com/v1/things")
//!     .header("authorization", "Bearer {{secret:EXAMPLE_TOKEN}}")
//!     .send()?;                  // `?` turns an HttpError into the WIT error
//! if resp.status() == 404 { /* … */ }
//! let things: Vec<Thing> = resp.json()?; // feature `json`
//! ```
//!
//! What to know:
//! - **Policy.** The host checks every request against the slot's HTTP policy
//!   (the origins the manifest asks for ∩ those the slot grants). A refused
//!   request fails with [`HttpErrorKind::Denied`], which becomes
//!   `access-denied` naming the origin to grant.
//! - **Secrets** never enter the driver: write `{{secret:NAME}}` in a header
//!   value and the host substitutes it on the way out.
//! - **Any status is a response.** [`send`] fails only when no response came
//!   (denied, DNS, connect, timeout, TLS, protocol); a 4xx or 5xx is an
//!   ordinary [`Response`] for the driver to map onto its errors.
//! - **Redirects are not followed** by the host or by this client: a 3xx comes
//!   back as a response, and following it is a new request the policy checks again.
//! - **Bodies stream both ways.** [`Request::body_writer`] writes chunks as the
//!   host takes them, [`Response::read_chunk`] reads them as they arrive, so
//!   memory stays flat whatever the size. [`Response::bytes`], `text` and
//!   `json` read a whole body, up to [`Response::limit`] (default
//!   [`DEFAULT_BODY_LIMIT`]).
//! - **Lengths.** A known body length is sent as `content-length`; a `PUT`,
//!   `POST`, `PATCH` or `DELETE` without a body sends `content-length: 0`
//!   rather than an empty chunked body, which some APIs (S3) refuse.
//! - **Natively** (a driver's unit tests) there is no `wasi:http`: [`send`]
//!   answers [`HttpErrorKind::Unsupported`], and [`Response::from_bytes`]
//!   builds canned responses for the code that reads them.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// The most [`Response::bytes`], `text` and `json` read unless
/// [`Response::limit`] says otherwise: 16 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 16 << 20;

/// The size of the chunks [`Response::bytes`] reads.
const READ_CHUNK: usize = 64 * 1024;

// ---------------------------------------------------------------------------
// Errors

/// What kind of failure an [`HttpError`] is; decides the WIT error it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The request is malformed (URL, header, body length): `invalid-input`.
    InvalidRequest,
    /// The host refused the request (policy): `access-denied`.
    Denied,
    /// The host name could not be resolved: `unavailable`.
    Dns,
    /// No connection (refused, unreachable, dropped): `unavailable`.
    Connect,
    /// A connect, first-byte or read timeout: `unavailable`.
    Timeout,
    /// TLS failed (handshake, certificate): `unavailable`.
    Tls,
    /// The exchange broke the HTTP protocol or ended early: `unavailable`.
    Protocol,
    /// A body is over a size limit (the host's or [`Response::limit`]): `quota-exceeded`.
    TooLarge,
    /// A request body writer stopped with an error of its own, kept as it was.
    Aborted,
    /// No `wasi:http` here (a native build): `unsupported`.
    Unsupported,
}

/// Why a request got no usable response. Converts into the WIT [`Error`]
/// with `?` (see [`HttpErrorKind`] for the case each kind becomes).
#[derive(Debug, Clone)]
pub struct HttpError {
    kind: HttpErrorKind,
    message: String,
    cause: Option<Box<Error>>,
}

impl HttpError {
    /// An error of `kind`; `message` says what failed, naming the origin.
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Maps a `wasi:http` `error-code` of a request to `origin`
    /// (`https://host[:port]`) onto a kind and a message that says what to do.
    pub fn from_code(code: &wasi::http::types::ErrorCode, origin: &str) -> Self {
        use HttpErrorKind as K;
        use wasi::http::types::ErrorCode as C;
        let (kind, message) = match code {
            C::HttpRequestDenied => (
                K::Denied,
                format!(
                    "outbound HTTP to {origin} was denied by the host: the driver's manifest must \
                     ask for this origin (and any secret the request uses) and the slot's grants \
                     must allow them"
                ),
            ),
            C::DnsTimeout => (
                K::Timeout,
                format!("resolving the host of {origin} timed out"),
            ),
            C::DnsError(p) => (
                K::Dns,
                format!(
                    "cannot resolve the host of {origin}{}",
                    p.rcode
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
            ),
            C::DestinationNotFound => (K::Dns, format!("{origin} was not found")),
            C::DestinationUnavailable | C::DestinationIpProhibited | C::DestinationIpUnroutable => {
                (K::Connect, format!("{origin} cannot be reached"))
            }
            C::ConnectionRefused => (K::Connect, format!("{origin} refused the connection")),
            C::ConnectionTerminated => (
                K::Connect,
                format!("the connection to {origin} closed before the exchange completed"),
            ),
            C::ConnectionLimitReached => (
                K::Connect,
                format!("too many connections to {origin}; try again later"),
            ),
            C::ConnectionTimeout => (K::Timeout, format!("connecting to {origin} timed out")),
            C::ConnectionReadTimeout | C::HttpResponseTimeout => {
                (K::Timeout, format!("{origin} did not answer in time"))
            }
            C::ConnectionWriteTimeout => (
                K::Timeout,
                format!("sending the request to {origin} timed out"),
            ),
            C::TlsProtocolError | C::TlsAlertReceived(_) => {
                (K::Tls, format!("the TLS handshake with {origin} failed"))
            }
            C::TlsCertificateError => (
                K::Tls,
                format!("the TLS certificate of {origin} is not valid"),
            ),
            C::HttpRequestBodySize(limit) => (
                K::TooLarge,
                match limit {
                    Some(n) => format!(
                        "the request body to {origin} is over {n} bytes, or differs from its content-length"
                    ),
                    None => format!(
                        "the request body to {origin} is over the host's limit, or differs from its content-length"
                    ),
                },
            ),
            C::HttpResponseBodySize(limit) => (
                K::TooLarge,
                match limit {
                    Some(n) => format!("the response of {origin} is over {n} bytes"),
                    None => format!("the response of {origin} is over the host's limit"),
                },
            ),
            C::HttpRequestLengthRequired => (
                K::InvalidRequest,
                format!("{origin} needs a content-length for this request"),
            ),
            C::HttpRequestMethodInvalid => {
                (K::InvalidRequest, format!("invalid method for {origin}"))
            }
            C::HttpRequestUriInvalid => (K::InvalidRequest, format!("invalid URL for {origin}")),
            C::HttpRequestUriTooLong => (
                K::InvalidRequest,
                format!("the URL for {origin} is too long"),
            ),
            C::HttpRequestHeaderSectionSize(_)
            | C::HttpRequestHeaderSize(_)
            | C::HttpRequestTrailerSectionSize(_)
            | C::HttpRequestTrailerSize(_) => (
                K::InvalidRequest,
                format!("the request headers for {origin} are too large"),
            ),
            C::HttpResponseIncomplete => (
                K::Protocol,
                format!("the response of {origin} ended before it was complete"),
            ),
            C::HttpResponseHeaderSectionSize(_)
            | C::HttpResponseHeaderSize(_)
            | C::HttpResponseTrailerSectionSize(_)
            | C::HttpResponseTrailerSize(_) => (
                K::Protocol,
                format!("the response headers of {origin} are too large"),
            ),
            C::HttpResponseTransferCoding(c) | C::HttpResponseContentCoding(c) => (
                K::Protocol,
                format!(
                    "the response of {origin} uses an unsupported coding{}",
                    c.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
                ),
            ),
            C::HttpUpgradeFailed | C::HttpProtocolError => (
                K::Protocol,
                format!("the HTTP exchange with {origin} failed"),
            ),
            C::LoopDetected => (K::Protocol, format!("a request loop to {origin}")),
            C::ConfigurationError => (
                K::Protocol,
                format!("the host's HTTP client is misconfigured (request to {origin})"),
            ),
            C::InternalError(detail) => (
                K::Protocol,
                format!(
                    "the request to {origin} failed in the host{}",
                    detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            ),
        };
        HttpError::new(kind, message)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpError {}

/// A driver's own error inside a body writer: kept as it is
/// ([`HttpErrorKind::Aborted`]) and given back unchanged by the conversion
/// into [`Error`].
impl From<Error> for HttpError {
    fn from(e: Error) -> Self {
        HttpError {
            kind: HttpErrorKind::Aborted,
            message: e.message().to_owned(),
            cause: Some(Box::new(e)),
        }
    }
}

/// `Denied` → `access-denied`; `Dns`, `Connect`, `Timeout`, `Tls`,
/// `Protocol` → `unavailable`; `InvalidRequest` → `invalid-input`;
/// `TooLarge` → `quota-exceeded`; `Unsupported` → `unsupported`;
/// `Aborted` → the writer's own error.
impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        use HttpErrorKind as K;
        if let Some(cause) = e.cause {
            return *cause;
        }
        match e.kind {
            K::InvalidRequest => Error::invalid_input(e.message),
            K::Denied => Error::access_denied(e.message),
            K::Dns | K::Connect | K::Timeout | K::Tls | K::Protocol | K::Aborted => {
                Error::unavailable(e.message, None)
            }
            K::TooLarge => Error::quota_exceeded(e.message),
            K::Unsupported => Error::unsupported(e.message),
        }
    }
}

fn invalid(message: impl Into<String>) -> HttpError {
    HttpError::new(HttpErrorKind::InvalidRequest, message)
}

// ---------------------------------------------------------------------------
// URLs

/// A request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// The method's name (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An absolute `http` or `https` URL, split the way `wasi:http` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    https: bool,
    /// Lowercase; IPv6 literals keep their brackets.
    host: String,
    port: Option<u16>,
    /// Starts with `/`.
    path_and_query: String,
}

impl Url {
    /// Parses `scheme://host[:port][/path][?query]`. Only `http` and `https`;
    /// no user part, no fragment, and the path and query must already be
    /// percent-encoded (visible ASCII only; see [`percent_encode`]).
    pub fn parse(text: &str) -> Result<Url, HttpError> {
        let bad = |why: &str| invalid(format!("invalid URL '{text}': {why}"));
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| bad("write scheme://host/path"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("only http and https URLs are supported")),
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("a user part is not allowed"));
        }
        let (host, port) = split_authority(authority).ok_or_else(|| bad("bad host or port"))?;
        let path_and_query = match path_and_query {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        if path_and_query.contains('#') {
            return Err(bad("a fragment is not allowed"));
        }
        if !path_and_query.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(
                "the path and query must be percent-encoded (no spaces, control or non-ASCII characters)",
            ));
        }
        Ok(Url {
            https,
            host: host.to_ascii_lowercase(),
            port,
            path_and_query,
        })
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The host, lowercase (IPv6 literals in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port written in the URL, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host[:port]`, as written (the `Host` header).
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The path and query, starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// `scheme://host[:port]`: what grants name.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme(), self.authority())
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path_and_query)
    }
}

/// `host[:port]` with IPv6 literals in brackets; `None` when malformed.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    if !host_ok {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// Percent-encodes every byte of `text` except the RFC 3986 unreserved
/// characters `A-Z a-z 0-9 - . _ ~` (and `/` when `keep_slash`), with
/// uppercase hex: the URI encoding AWS SigV4 and most APIs expect for path
/// segments (`keep_slash` for a whole path) and query components.
pub fn percent_encode(text: &str, keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_as_space`, as in
/// form encoding); `None` when an escape is malformed or the result is not UTF-8.
pub fn percent_decode(text: &str, plus_as_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `k1=v1&k2=v2`, each side [`percent_encode`]d (a `/` too), in the order given.
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(k.as_ref(), false));
        out.push('=');
        out.push_str(&percent_encode(v.as_ref(), false));
    }
    out
}

// ---------------------------------------------------------------------------
// Headers

/// Header fields in the order given; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field, keeping others of the same name.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// Sets a field, replacing every other of the same name.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.remove(&name);
        self.entries.push((name, value.into()));
    }

    /// Removes every field named `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a field named `name` is there.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Fields whose name starts with `prefix` (case-insensitively), as (the
    /// rest of the name, lowercase; value): `x-amz-meta-` user metadata.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (String, &'a str)> + 'a {
        self.entries.iter().filter_map(move |(n, v)| {
            let head = n.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| (n[prefix.len()..].to_ascii_lowercase(), v.as_str()))
        })
    }

    /// Every field, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Headers {
            entries: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// `Ok` when `name` is an RFC 9110 token and `value` has no CR, LF or NUL.
pub fn check_header(name: &str, value: &str) -> Result<(), HttpError> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(invalid(format!("invalid header name '{name}'")));
    }
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(invalid(format!(
            "the value of header '{name}' contains a line break or NUL"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Requests

/// Where [`Request::body_writer`]'s callback writes: the outgoing body,
/// handed to the host as it can take it.
pub struct BodyWriter<'s> {
    sink: &'s mut dyn Sink,
    written: u64,
}

impl BodyWriter<'_> {
    /// Writes all of `data`, waiting while the host catches up; chunks go out
    /// as the host's buffer allows, so memory stays flat.
    pub fn write(&mut self, data: &[u8]) -> Result<(), HttpError> {
        self.sink.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// The destination of a request body.
trait Sink {
    fn write_all(&mut self, data: &[u8]) -> Result<(), HttpError>;
}

type WriteFn<'a> = Box<dyn FnOnce(&mut BodyWriter<'_>) -> Result<(), HttpError> + 'a>;

enum Body<'a> {
    Empty,
    Bytes(Vec<u8>),
    Stream {
        length: Option<u64>,
        #[cfg_attr(
            not(target_os = "wasi"),
            expect(dead_code, reason = "natively nothing is sent")
        )]
        write: WriteFn<'a>,
    },
}

/// An HTTP request, built then [`send`]t. Builder methods never fail: a
/// problem (a bad URL, header or JSON body) is reported by `send`.
pub struct Request<'a> {
    method: Method,
    url: String,
    headers: Headers,
    body: Body<'a>,
    timeout: Option<Duration>,
    problem: Option<HttpError>,
}

impl<'a> Request<'a> {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Headers::new(),
            body: Body::Empty,
            timeout: None,
            problem: None,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// `HEAD url`.
    pub fn head(url: impl Into<String>) -> Self {
        Self::new(Method::Head, url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// `PUT url`.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// `PATCH url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// Adds a header (kept beside others of the same name). `host`,
    /// `connection`, `transfer-encoding` and the like are the host's: `send`
    /// refuses them.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets a header, replacing others of the same name.
    pub fn set_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// A body held in memory; its length is sent as `content-length`.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(bytes.into());
        self
    }

    /// A streamed body: `write` is called once, after the request went out,
    /// and writes the body through the [`BodyWriter`] chunk by chunk. With a
    /// `length`, it is sent as `content-length` and `write` must write exactly
    /// that many bytes; without, the body goes out chunked (which some servers
    /// refuse). An error `write` returns fails the request and comes back
    /// from [`send`] unchanged.
    pub fn body_writer(
        mut self,
        length: Option<u64>,
        write: impl FnOnce(&mut BodyWriter<'_>) -> Result<(), HttpError> + 'a,
    ) -> Self {
        self.body = Body::Stream {
            length,
            write: Box::new(write),
        };
        self
    }

    /// `value` as a JSON body, with `content-type: application/json` unless
    /// one is set.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                if !self.headers.contains("content-type") {
                    self.headers.append("content-type", "application/json");
                }
                self.body = Body::Bytes(bytes);
            }
            Err(e) => {
                self.problem = Some(invalid(format!(
                    "the JSON body of {} {} cannot be written: {e}",
                    self.method, self.url
                )))
            }
        }
        self
    }

    /// How long to wait for the response headers (the host caps it with its
    /// own limit).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers set so far (not the `content-length` `send` adds).
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The body, when it is held in memory.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Sends the request; see [`send`].
    pub fn send(self) -> Result<Response, HttpError> {
        send(self)
    }

    /// The checked URL and the headers to send, with `content-length` added
    /// where the length is known (see the module docs).
    fn prepare(&mut self) -> Result<(Url, Headers), HttpError> {
        if let Some(problem) = self.problem.take() {
            return Err(problem);
        }
        let url = Url::parse(&self.url)?;
        let mut headers = self.headers.clone();
        for (name, value) in headers.iter() {
            check_header(name, value)?;
        }
        let length = match &self.body {
            Body::Empty => match self.method {
                Method::Get | Method::Head | Method::Options => None,
                _ => Some(0),
            },
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Stream { length, .. } => *length,
        };
        if let Some(n) = length {
            headers.set("content-length", n.to_string());
        }
        Ok((url, headers))
    }
}

// ---------------------------------------------------------------------------
// Responses

/// Where a response's body comes from.
trait Source {
    /// Up to `max` bytes; `None` at the end.
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, HttpError>;
}

struct MemorySource {
    bytes: Vec<u8>,
    pos: usize,
}

impl Source for MemorySource {
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, HttpError> {
        if self.pos >= self.bytes.len() {
            return Ok(None);
        }
        let end = self.bytes.len().min(self.pos + max);
        let chunk = self.bytes[self.pos..end].to_vec();
        self.pos = end;
        Ok(Some(chunk))
    }
}

/// A response: status and headers at once, the body read on demand. Holding
/// it keeps the connection's body open; dropping it releases it.
pub struct Response {
    status: u16,
    headers: Headers,
    /// `None` once the body has ended.
    body: Option<Box<dyn Source>>,
    limit: u64,
    origin: String,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// A response held in memory: canned answers in unit tests, or a cached one.
    pub fn from_bytes(status: u16, headers: Headers, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers,
            body: Some(Box::new(MemorySource {
                bytes: body.into(),
                pos: 0,
            })),
            limit: DEFAULT_BODY_LIMIT,
            origin: "memory".to_owned(),
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The `content-length` the server declared.
    pub fn content_length(&self) -> Option<u64> {
        self.headers.get("content-length")?.trim().parse().ok()
    }

    /// `scheme://host[:port]` of the request this answers.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sets how many bytes [`Response::bytes`], `text` and `json` accept.
    pub fn limit(mut self, bytes: u64) -> Self {
        self.limit = bytes;
        self
    }

    /// The next chunk of the body, at most `max` bytes (at least 1); `None`
    /// at the end. Never returns an empty chunk.
    pub fn read_chunk(&mut self, max: usize) -> Result<Option<Vec<u8>>, HttpError> {
        if max == 0 {
            return Err(invalid("read_chunk needs a max of at least 1 byte"));
        }
        let Some(body) = self.body.as_mut() else {
            return Ok(None);
        };
        match body.read(max)? {
            Some(chunk) => Ok(Some(chunk)),
            None => {
                // Release the body's resources as soon as it ends.
                self.body = None;
                Ok(None)
            }
        }
    }

    /// The whole (rest of the) body; [`HttpErrorKind::TooLarge`] past [`Response::limit`].
    pub fn bytes(mut self) -> Result<Vec<u8>, HttpError> {
        let limit = self.limit;
        let too_large = |origin: &str| {
            HttpError::new(
                HttpErrorKind::TooLarge,
                format!("the response of {origin} is larger than {limit} bytes"),
            )
        };
        if self.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(&self.origin));
        }
        let mut out = Vec::new();
        while let Some(chunk) = self.read_chunk(READ_CHUNK)? {
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(too_large(&self.origin));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// The whole body as text (invalid UTF-8 replaced), up to [`Response::limit`].
    pub fn text(self) -> Result<String, HttpError> {
        let bytes = self.bytes()?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The whole body as JSON, up to [`Response::limit`];
    /// [`HttpErrorKind::Protocol`] when it is not the expected JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, HttpError> {
        let origin = self.origin.clone();
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| {
            HttpError::new(
                HttpErrorKind::Protocol,
                format!("the response of {origin} is not the expected JSON: {e}"),
            )
        })
    }
}

// ---------------------------------------------------------------------------
// Sending

/// Sends `request` and waits for the response headers. A request body is
/// written after the request went out, as the host takes it. Any status is
/// `Ok`; `Err` means no response (see [`HttpErrorKind`]).
pub fn send(mut request: Request<'_>) -> Result<Response, HttpError> {
    let (url, headers) = request.prepare()?;
    transport::send(
        request.method,
        &url,
        &headers,
        request.body,
        request.timeout,
    )
}

#[cfg(target_os = "wasi")]
mod transport {
    use super::{Body, BodyWriter, HttpError, HttpErrorKind, Method, Response, Sink, Source, Url};
    use crate::http::{DEFAULT_BODY_LIMIT, Headers, invalid};
    use std::time::Duration;
    use wasi::http::outgoing_handler;
    use wasi::http::types::{
        ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, OutgoingBody,
        OutgoingRequest, RequestOptions, Scheme,
    };
    use wasi::io::streams::{InputStream, OutputStream, StreamError};

    pub(super) fn send(
        method: Method,
        url: &Url,
        headers: &Headers,
        body: Body<'_>,
        timeout: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let origin = url.origin();
        let fields = Fields::new();
        for (name, value) in headers.iter() {
            fields.append(name, value.as_bytes()).map_err(|e| {
                invalid(format!(
                    "header '{name}' cannot be sent to {origin}: {}",
                    match e {
                        wasi::http::types::HeaderError::Forbidden => "the host sets it itself",
                        _ => "invalid name or value",
                    }
                ))
            })?;
        }
        let request = OutgoingRequest::new(fields);
        let wasi_method = match method {
            Method::Get => wasi::http::types::Method::Get,
            Method::Head => wasi::http::types::Method::Head,
            Method::Post => wasi::http::types::Method::Post,
            Method::Put => wasi::http::types::Method::Put,
            Method::Delete => wasi::http::types::Method::Delete,
            Method::Patch => wasi::http::types::Method::Patch,
            Method::Options => wasi::http::types::Method::Options,
        };
        let scheme = if url.scheme() == "https" {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let ok = request.set_method(&wasi_method).is_ok()
            && request.set_scheme(Some(&scheme)).is_ok()
            && request.set_authority(Some(&url.authority())).is_ok()
            && request
                .set_path_with_query(Some(url.path_and_query()))
                .is_ok();
        if !ok {
            return Err(invalid(format!("the host does not accept the URL {url}")));
        }
        let outgoing =
            match body {
                Body::Empty => None,
                _ => Some(request.body().map_err(|()| {
                    invalid(format!("the request body to {origin} cannot be opened"))
                })?),
            };
        let options = timeout.map(|t| {
            let o = RequestOptions::new();
            // A host that does not support the option keeps its own timeout.
            let _ = o.set_first_byte_timeout(Some(t.as_nanos().min(u128::from(u64::MAX)) as u64));
            o
        });
        let future = outgoing_handler::handle(request, options)
            .map_err(|code| HttpError::from_code(&code, &origin))?;
        let early = match outgoing {
            Some(outgoing) => write_body(outgoing, body, &future, &origin)?,
            None => None,
        };
        let response = match early {
            Some(response) => response,
            None => wait(&future, &origin)?,
        };
        into_response(response, origin)
    }

    /// Writes the body and finishes it. When the host stops taking bytes
    /// (the request failed, or the server answered early), the response
    /// future tells why: its error, or the server's answer, returned here.
    fn write_body(
        outgoing: OutgoingBody,
        body: Body<'_>,
        future: &FutureIncomingResponse,
        origin: &str,
    ) -> Result<Option<IncomingResponse>, HttpError> {
        let stream = outgoing
            .write()
            .map_err(|()| invalid(format!("the request body to {origin} cannot be written")))?;
        let mut sink = WasiSink {
            stream: &stream,
            closed: false,
            origin,
        };
        let mut writer = BodyWriter {
            sink: &mut sink,
            written: 0,
        };
        let (result, declared) = match body {
            Body::Empty => (Ok(()), None),
            Body::Bytes(bytes) => (writer.write(&bytes), None),
            Body::Stream { length, write } => (write(&mut writer), length),
        };
        let written = writer.written;
        let result = result
            .and_then(|()| match declared {
                Some(n) if n != written => Err(invalid(format!(
                    "the request body to {origin} declared {n} bytes but {written} were written"
                ))),
                _ => Ok(()),
            })
            .and_then(|()| stream.blocking_flush().map_err(|e| sink.failed(e)));
        let closed_early = sink.closed;
        drop(stream);
        match result {
            Ok(()) => {
                OutgoingBody::finish(outgoing, None)
                    .map_err(|code| HttpError::from_code(&code, origin))?;
                Ok(None)
            }
            // Dropping the body unfinished tells the host it is incomplete.
            Err(_) if closed_early => {
                drop(outgoing);
                wait(future, origin).map(Some)
            }
            Err(e) => Err(e),
        }
    }

    fn closed(origin: &str) -> HttpError {
        HttpError::new(
            HttpErrorKind::Connect,
            format!("the connection to {origin} closed while the request body was sent"),
        )
    }

    struct WasiSink<'s> {
        stream: &'s OutputStream,
        closed: bool,
        origin: &'s str,
    }

    impl Sink for WasiSink<'_> {
        fn write_all(&mut self, mut data: &[u8]) -> Result<(), HttpError> {
            while !data.is_empty() {
                let permit = match self.stream.check_write() {
                    Ok(n) => n,
                    Err(e) => return Err(self.failed(e)),
                };
                if permit == 0 {
                    self.stream.subscribe().block();
                    continue;
                }
                let n = data
                    .len()
                    .min(usize::try_from(permit).unwrap_or(usize::MAX));
                if let Err(e) = self.stream.write(&data[..n]) {
                    return Err(self.failed(e));
                }
                data = &data[n..];
            }
            Ok(())
        }
    }

    impl WasiSink<'_> {
        fn failed(&mut self, e: StreamError) -> HttpError {
            self.closed = true;
            match e {
                StreamError::LastOperationFailed(io) => {
                    match wasi::http::types::http_error_code(&io) {
                        Some(code) => HttpError::from_code(&code, self.origin),
                        None => closed(self.origin),
                    }
                }
                StreamError::Closed => closed(self.origin),
            }
        }
    }

    /// Blocks until the response headers arrive.
    fn wait(future: &FutureIncomingResponse, origin: &str) -> Result<IncomingResponse, HttpError> {
        loop {
            match future.get() {
                Some(Ok(Ok(response))) => return Ok(response),
                Some(Ok(Err(code))) => return Err(HttpError::from_code(&code, origin)),
                Some(Err(())) => {
                    return Err(HttpError::from_code(&ErrorCode::HttpProtocolError, origin));
                }
                None => future.subscribe().block(),
            }
        }
    }

    fn into_response(response: IncomingResponse, origin: String) -> Result<Response, HttpError> {
        let status = response.status();
        let headers: Headers = {
            let fields = response.headers();
            let entries = fields.entries();
            entries
                .into_iter()
                .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
                .collect()
        };
        let body = response
            .consume()
            .map_err(|()| HttpError::from_code(&ErrorCode::HttpProtocolError, &origin))?;
        let stream = body
            .stream()
            .map_err(|()| HttpError::from_code(&ErrorCode::HttpProtocolError, &origin))?;
        Ok(Response {
            status,
            headers,
            body: Some(Box::new(WasiSource {
                stream,
                _body: body,
                _response: response,
                origin: origin.clone(),
            })),
            limit: DEFAULT_BODY_LIMIT,
            origin,
        })
    }

    /// The response body. Fields drop in order: the stream before the body
    /// it belongs to, the body before its response.
    struct WasiSource {
        stream: InputStream,
        _body: IncomingBody,
        _response: IncomingResponse,
        origin: String,
    }

    impl Source for WasiSource {
        fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, HttpError> {
            loop {
                match self.stream.blocking_read(max as u64) {
                    Ok(chunk) if chunk.is_empty() => continue,
                    Ok(chunk) => return Ok(Some(chunk)),
                    Err(StreamError::Closed) => return Ok(None),
                    Err(StreamError::LastOperationFailed(io)) => {
                        let code = wasi::http::types::http_error_code(&io)
                            .unwrap_or(ErrorCode::HttpResponseIncomplete);
                        return Err(HttpError::from_code(&code, &self.origin));
                    }
                }
            }
        }
    }
}

#[cfg(not(target_os = "wasi"))]
mod transport {
    use super::{Body, HttpError, HttpErrorKind, Method, Url};
    use crate::http::Headers;
    use std::time::Duration;

    pub(super) fn send(
        method: Method,
        url: &Url,
        _headers: &Headers,
        _body: Body<'_>,
        _timeout: Option<Duration>,
    ) -> Result<super::Response, HttpError> {
        Err(HttpError::new(
            HttpErrorKind::Unsupported,
            format!(
                "cannot send {method} {url}: wasi:http exists only inside a component built for wasm32-wasip2"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_for_wasi_http() {
        let u = Url::parse("https://S3.example.com/bucket/a%20b?x=1").unwrap();
        assert_eq!(u.scheme(), "https");
        assert_eq!(u.host(), "s3.example.com");
        assert_eq!(u.port(), None);
        assert_eq!(u.authority(), "s3.example.com");
        assert_eq!(u.path_and_query(), "/bucket/a%20b?x=1");
        assert_eq!(u.origin(), "https://s3.example.com");
        assert_eq!(u.to_string(), "https://s3.example.com/bucket/a%20b?x=1");

        let u = Url::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!((u.port(), u.path_and_query()), (Some(9000), "/"));
        assert_eq!(u.origin(), "http://127.0.0.1:9000");
        let u = Url::parse("http://[::1]:9000?list-type=2").unwrap();
        assert_eq!(u.host(), "[::1]");
        assert_eq!(u.authority(), "[::1]:9000");
        assert_eq!(u.path_and_query(), "/?list-type=2");

        for bad in [
            "s3.example.com/x",
            "ftp://x.com/",
            "https://user@x.com/",
            "https:///x",
            "https://x.com:port/",
            "https://x.com:99999/",
            "https://x.com/a b",
            "https://x.com/é",
            "https://x.com/a#frag",
            "https://[::1/",
        ] {
            let e = Url::parse(bad).unwrap_err();
            assert_eq!(e.kind(), HttpErrorKind::InvalidRequest, "{bad}");
            assert!(e.message().contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn percent_encoding_follows_rfc3986_unreserved() {
        assert_eq!(percent_encode("a-Z_0.~", false), "a-Z_0.~");
        assert_eq!(percent_encode("a b/c+d", false), "a%20b%2Fc%2Bd");
        assert_eq!(percent_encode("a b/c+d", true), "a%20b/c%2Bd");
        assert_eq!(percent_encode("ü*=&", false), "%C3%BC%2A%3D%26");
        assert_eq!(percent_decode("%C3%BCa+b%2B", true).unwrap(), "üa b+");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert_eq!(percent_decode("%zz", false), None);
        assert_eq!(percent_decode("%C3", false), None);
        assert_eq!(percent_decode("%4", false), None);
        for s in ["x/y z", "ü~!'()*", ""] {
            assert_eq!(percent_decode(&percent_encode(s, false), false).unwrap(), s);
        }
        assert_eq!(
            query_string([("prefix", "a/b c"), ("max-keys", "10")]),
            "prefix=a%2Fb%20c&max-keys=10"
        );
        assert_eq!(query_string(Vec::<(&str, &str)>::new()), "");
    }

    #[test]
    fn headers_are_case_insensitive() {
        let mut h: Headers = [
            ("Content-Type", "text/plain"),
            ("X-Amz-Meta-Color", "red"),
            ("x-amz-meta-size", "L"),
            ("Set-Cookie", "a"),
            ("set-cookie", "b"),
        ]
        .into_iter()
        .collect();
        assert_eq!(h.get("content-type"), Some("text/plain"));
        assert_eq!(h.get_all("SET-COOKIE").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            h.with_prefix("x-amz-meta-").collect::<Vec<_>>(),
            [("color".to_owned(), "red"), ("size".to_owned(), "L")]
        );
        h.set("set-cookie", "c");
        assert_eq!(h.get_all("set-cookie").collect::<Vec<_>>(), ["c"]);
        h.remove("CONTENT-TYPE");
        assert!(!h.contains("content-type"));
        assert_eq!(h.len(), 3);

        assert!(check_header("x-amz-date", "20240101T000000Z").is_ok());
        assert!(check_header("bad name", "v").is_err());
        assert!(check_header("", "v").is_err());
        assert!(check_header("x", "a\r\nInjected: 1").is_err());
    }

    #[test]
    fn prepare_sets_content_length_where_known() {
        let length = |r: Request| {
            let mut r = r;
            r.prepare()
                .map(|(_, h)| h.get("content-length").map(str::to_owned))
        };
        assert_eq!(length(Request::get("https://x.com/")).unwrap(), None);
        assert_eq!(length(Request::head("https://x.com/")).unwrap(), None);
        assert_eq!(
            length(Request::delete("https://x.com/"))
                .unwrap()
                .as_deref(),
            Some("0")
        );
        assert_eq!(
            length(Request::put("https://x.com/").body(b"abc".to_vec()))
                .unwrap()
                .as_deref(),
            Some("3")
        );
        assert_eq!(
            length(Request::put("https://x.com/").body_writer(Some(7), |_| Ok(())))
                .unwrap()
                .as_deref(),
            Some("7")
        );
        assert_eq!(
            length(Request::put("https://x.com/").body_writer(None, |_| Ok(()))).unwrap(),
            None
        );
        let e = length(Request::get("https://x.com/").header("a b", "c")).unwrap_err();
        assert_eq!(e.kind(), HttpErrorKind::InvalidRequest);
        let e = length(Request::get("nope")).unwrap_err();
        assert_eq!(Error::from(e).kind(), "invalid-input");
    }

    #[test]
    fn body_writer_streams_into_its_sink() {
        struct Collect(Vec<Vec<u8>>);
        impl Sink for Collect {
            fn write_all(&mut self, data: &[u8]) -> Result<(), HttpError> {
                self.0.push(data.to_vec());
                Ok(())
            }
        }
        let mut sink = Collect(vec![]);
        let mut w = BodyWriter {
            sink: &mut sink,
            written: 0,
        };
        w.write(b"ab").unwrap();
        w.write(b"cde").unwrap();
        assert_eq!(w.written(), 5);
        assert_eq!(sink.0, [b"ab".to_vec(), b"cde".to_vec()]);
    }

    #[test]
    fn responses_read_in_chunks_and_within_limits() {
        let headers: Headers = [("Content-Length", "5")].into_iter().collect();
        let mut r = Response::from_bytes(200, headers.clone(), b"hello".to_vec());
        assert!(r.is_success());
        assert_eq!(r.content_length(), Some(5));
        assert_eq!(r.read_chunk(2).unwrap().unwrap(), b"he");
        assert!(r.read_chunk(0).is_err());
        assert_eq!(r.read_chunk(10).unwrap().unwrap(), b"llo");
        assert!(r.read_chunk(10).unwrap().is_none());
        assert!(r.read_chunk(10).unwrap().is_none());

        let r = Response::from_bytes(200, headers.clone(), b"hello".to_vec());
        assert_eq!(r.text().unwrap(), "hello");
        let e = Response::from_bytes(200, headers, b"hello".to_vec())
            .limit(4)
            .bytes()
            .unwrap_err();
        assert_eq!(e.kind(), HttpErrorKind::TooLarge);
        // A body longer than its (absent) content-length is still capped.
        let e = Response::from_bytes(200, Headers::new(), vec![0; 10])
            .limit(9)
            .bytes()
            .unwrap_err();
        assert_eq!(Error::from(e).kind(), "quota-exceeded");
        assert_eq!(
            Response::from_bytes(200, Headers::new(), vec![0xff, b'a'])
                .text()
                .unwrap(),
            "\u{fffd}a"
        );
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_bodies() {
        let r = Request::post("https://x.com/").json(&serde_json::json!({"a": 1}));
        assert_eq!(r.body_bytes().unwrap(), br#"{"a":1}"#);
        assert_eq!(r.headers().get("content-type"), Some("application/json"));
        let v: serde_json::Value =
            Response::from_bytes(200, Headers::new(), br#"{"a":[1]}"#.to_vec())
                .json()
                .unwrap();
        assert_eq!(v["a"][0], 1);
        let e = Response::from_bytes(200, Headers::new(), b"<html>".to_vec())
            .json::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(e.kind(), HttpErrorKind::Protocol);
    }

    #[test]
    fn error_codes_map_to_kinds_and_wit_errors() {
        use wasi::http::types::ErrorCode as C;
        let origin = "https://s3.example.com";
        let cases = [
            (C::HttpRequestDenied, "access-denied"),
            (C::ConnectionRefused, "unavailable"),
            (C::ConnectionTimeout, "unavailable"),
            (C::HttpResponseTimeout, "unavailable"),
            (C::DnsTimeout, "unavailable"),
            (C::TlsCertificateError, "unavailable"),
            (C::HttpProtocolError, "unavailable"),
            (C::HttpRequestUriInvalid, "invalid-input"),
            (C::HttpResponseBodySize(Some(10)), "quota-exceeded"),
            (C::InternalError(Some("boom".into())), "unavailable"),
        ];
        for (code, kind) in cases {
            let e = HttpError::from_code(&code, origin);
            assert!(e.message().contains(origin), "{e}");
            assert_eq!(Error::from(e).kind(), kind, "{code:?}");
        }
        let denied = Error::from(HttpError::from_code(&C::HttpRequestDenied, origin));
        assert!(denied.message().contains("grant"), "{}", denied.message());
        let dns = HttpError::from_code(
            &C::DnsError(wasi::http::types::DnsErrorPayload {
                rcode: Some("NXDOMAIN".into()),
                info_code: None,
            }),
            origin,
        );
        assert_eq!(dns.kind(), HttpErrorKind::Dns);
        assert!(dns.message().contains("NXDOMAIN"));
    }

    #[test]
    fn a_writers_own_error_comes_back_unchanged() {
        let own = Error::conflict("the caller's body ended early");
        let e = HttpError::from(own.clone());
        assert_eq!(e.kind(), HttpErrorKind::Aborted);
        let back = Error::from(e);
        assert_eq!((back.kind(), back.message()), (own.kind(), own.message()));
    }

    #[cfg(not(target_os = "wasi"))]
    #[test]
    fn native_send_is_unsupported() {
        let e = Request::get("https://x.com/").send().unwrap_err();
        assert_eq!(e.kind(), HttpErrorKind::Unsupported);
        assert_eq!(Error::from(e).kind(), "unsupported");
    }
}
