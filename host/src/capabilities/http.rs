//! Outbound HTTP (`wasi:http`). Every request a driver sends passes through
//! [`HttpHooks::send_request`], which checks it against the slot's
//! [`HttpAllowlist`] (requested ∩ granted) and sends it through one shared
//! `reqwest` client (pooling, rustls).
//!
//! - Redirects are not followed by the host: the 3xx answer goes back to the
//!   driver, whose next request passes this hook again, so every hop is checked.
//! - The shared client's resolver never returns a loopback, private,
//!   link-local or metadata address for a name other than `localhost`, so a
//!   granted name cannot be re-pointed into this machine's network (DNS
//!   rebinding); such addresses are reached only by a grant naming the literal
//!   address (or `localhost`).
//! - Connect and total timeouts, and request and response size limits, bound
//!   every request.
//! - Secret placeholders in headers are filled in ([`super::secrets`]) and
//!   AWS SigV4 signatures added ([`super::signing`]) after the checks.
//! - Idempotent requests without a body of note (GET, HEAD, DELETE, OPTIONS)
//!   are retried by the host on connection failures, 429 and 502–504, up to
//!   [`RETRIES`] times with exponential backoff that honours `Retry-After`;
//!   other requests are sent once, as their bodies are streamed.

use super::net_policy::{Denial, HttpAllowlist, is_special};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Limits of every outbound request.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time until the response headers arrive.
    pub total_timeout: Duration,
    /// Largest request body sent.
    pub max_request_bytes: u64,
    /// Largest response body received.
    pub max_response_bytes: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_request_bytes: 5 << 30,
            max_response_bytes: 5 << 30,
        }
    }
}

/// The slot's outbound HTTP policy.
#[derive(Debug)]
pub struct HttpPolicy {
    slot: String,
    allowlist: HttpAllowlist,
    limits: HttpLimits,
    secrets: Arc<super::secrets::SlotSecrets>,
}

impl HttpPolicy {
    /// A policy that denies every request.
    pub fn deny_all(slot: &str) -> Self {
        HttpPolicy {
            slot: slot.to_string(),
            allowlist: HttpAllowlist::default(),
            limits: HttpLimits::default(),
            secrets: Default::default(),
        }
    }

    /// From the manifest's request and the slot's grant, with the secrets
    /// the slot's requests may carry.
    pub fn new(
        slot: &str,
        requested: &[String],
        granted: &[String],
        secrets: Arc<super::secrets::SlotSecrets>,
    ) -> Result<Self, String> {
        Ok(HttpPolicy {
            slot: slot.to_string(),
            allowlist: HttpAllowlist::new(requested, granted)?,
            limits: HttpLimits::default(),
            secrets,
        })
    }

    /// The secrets lent to the slot.
    pub fn secrets(&self) -> &super::secrets::SlotSecrets {
        &self.secrets
    }

    /// Substitutes secret placeholders in the headers of a request that
    /// passed [`HttpPolicy::check`] and signs it when asked; refuses
    /// placeholders anywhere else.
    fn inject_secrets(&self, parts: &mut http::request::Parts) -> Result<(), String> {
        if super::secrets::has_placeholder(&parts.uri.to_string()) {
            return Err(format!(
                "outbound HTTP to {} denied: secret placeholders are substituted only in headers, never in a URL",
                parts.uri.authority().map(|a| a.as_str()).unwrap_or("?")
            ));
        }
        let uri = parts.uri.clone();
        let to = destination(&uri);
        for value in parts.headers.values_mut() {
            let Ok(text) = value.to_str() else { continue };
            if !super::secrets::has_placeholder(text) {
                continue;
            }
            let substituted = self.secrets.substitute(text, to)?;
            let mut header = http::HeaderValue::from_str(&substituted)
                .map_err(|_| "a secret's value is not a valid header value".to_string())?;
            header.set_sensitive(true);
            *value = header;
        }
        super::signing::apply(parts, &self.secrets, to)
    }

    /// `Ok` when the request may go out; the reason, naming the grant to add, otherwise.
    fn check(&self, uri: &http::Uri) -> Result<(), String> {
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let host = uri.host().unwrap_or_default();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "http" { 80 } else { 443 });
        let origin = match uri.port_u16() {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        let slot = &self.slot;
        match self.allowlist.check(&scheme, host, port) {
            Ok(()) => {}
            Err(Denial::NotRequested) => {
                return Err(format!(
                    "outbound HTTP to {origin} denied: the driver's manifest does not ask for that origin"
                ));
            }
            Err(_) => {
                return Err(format!(
                    "outbound HTTP to {origin} denied: slot '{slot}' is not granted that origin (grant it with [slots.{slot}.grants] http = [\"{origin}\"])"
                ));
            }
        }
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse()
            && let Err(Denial::SpecialAddress(ip)) =
                self.allowlist.check_address(&scheme, host, port, ip)
        {
            return Err(format!(
                "outbound HTTP to {origin} denied: {ip} is a loopback, private or metadata address and no grant names it"
            ));
        }
        Ok(())
    }
}

/// Where a request goes.
fn destination(uri: &http::Uri) -> super::secrets::Destination<'_> {
    let scheme = uri.scheme_str().unwrap_or("https");
    super::secrets::Destination {
        scheme,
        host: uri.host().unwrap_or_default(),
        port: uri
            .port_u16()
            .unwrap_or(if scheme.eq_ignore_ascii_case("http") {
                80
            } else {
                443
            }),
    }
}

/// Resolves names for the shared client, dropping special addresses for any
/// name but `localhost` (see the module docs).
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let localhost = host.eq_ignore_ascii_case("localhost");
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| localhost || !is_special(a.ip()))
                .collect();
            if allowed.is_empty() && !addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private or metadata addresses ({}); grant the address itself to reach it",
                    addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The one client every driver's requests go through.
static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(HttpLimits::default().connect_timeout)
        .dns_resolver(Arc::new(GuardedResolver))
        .build()
        .expect("building the shared HTTP client")
});

/// The `wasi:http` hooks of one store.
pub struct HttpHooks {
    policy: Arc<HttpPolicy>,
    denials: Arc<Mutex<Vec<String>>>,
}

impl HttpHooks {
    /// Hooks enforcing `policy`; denial reasons are kept in `denials`.
    pub fn new(policy: Arc<HttpPolicy>, denials: Arc<Mutex<Vec<String>>>) -> Self {
        HttpHooks { policy, denials }
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let (mut parts, body) = request.into_parts();
        let verdict = self
            .policy
            .check(&parts.uri)
            .and_then(|()| self.policy.inject_secrets(&mut parts));
        if let Err(reason) = verdict {
            tracing::warn!(target: "paddock::capability", slot = %self.policy.slot, "{reason}");
            self.denials.lock().unwrap().push(reason);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let request = http::Request::from_parts(parts, body);
        let policy = self.policy.clone();
        Box::new(async move {
            let response = send(&policy, request, options).await?;
            Ok((
                response,
                Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// How often an idempotent request is retried after the first attempt.
pub const RETRIES: u32 = 3;
/// Largest body an idempotent request may carry and still be retried.
const REPLAYABLE_BYTES: usize = 1 << 20;

async fn send(
    policy: &HttpPolicy,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<http::Response<WasiBody>, HttpError> {
    let limits = &policy.limits;
    let (parts, body) = request.into_parts();
    let timeout = options
        .and_then(|o| o.first_byte_timeout)
        .unwrap_or(limits.total_timeout)
        .min(limits.total_timeout);
    let url = parts.uri.to_string();
    // The timeout bounds the wait for the response head only: a body may
    // stream for as long as it keeps flowing (the call's own no-progress
    // deadline still applies).
    let request = |body: reqwest::Body| {
        let sent = CLIENT
            .request(parts.method.clone(), &url)
            .headers(parts.headers.clone())
            .body(body)
            .send();
        async move {
            tokio::time::timeout(timeout, sent)
                .await
                .map_err(|_| HttpError::ConnectionReadTimeout)
        }
    };
    let idempotent = matches!(
        parts.method,
        http::Method::GET | http::Method::HEAD | http::Method::DELETE | http::Method::OPTIONS
    );
    let failed = |e: reqwest::Error| {
        tracing::info!(target: "paddock::capability", slot = %policy.slot, "outbound HTTP to {url} failed: {e}");
        if e.is_timeout() {
            HttpError::ConnectionTimeout
        } else if e.is_connect() {
            HttpError::ConnectionRefused
        } else {
            HttpError::HttpProtocolError
        }
    };
    let response = if idempotent {
        let body = http_body_util::Limited::new(body, REPLAYABLE_BYTES)
            .collect()
            .await
            .map_err(|_| HttpError::HttpRequestBodySize(Some(REPLAYABLE_BYTES as u64)))?
            .to_bytes();
        let mut attempt = 0;
        loop {
            let result = request(body.clone().into()).await?;
            let wait = match &result {
                Ok(r) if matches!(r.status().as_u16(), 429 | 502 | 503 | 504) => {
                    Some(retry_after(r.headers()))
                }
                Err(e) if e.is_connect() => Some(None),
                _ => None,
            };
            match wait {
                Some(after) if attempt < RETRIES => {
                    let delay = backoff(attempt, after);
                    tracing::info!(target: "paddock::capability", slot = %policy.slot, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, "retrying outbound HTTP to {url}");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => break result.map_err(failed)?,
            }
        }
    } else {
        let max_request = limits.max_request_bytes;
        let mut sent = 0u64;
        let body_stream = body.into_data_stream().map(move |chunk| {
            let chunk = chunk.map_err(std::io::Error::other)?;
            sent += chunk.len() as u64;
            if sent > max_request {
                return Err(std::io::Error::other(format!(
                    "request body over {max_request} bytes"
                )));
            }
            Ok::<Bytes, std::io::Error>(chunk)
        });
        request(reqwest::Body::wrap_stream(body_stream))
            .await?
            .map_err(failed)?
    };
    let mut out = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        out = out.header(name, value);
    }
    let max_response = limits.max_response_bytes;
    let mut received = 0u64;
    let frames = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|_| HttpError::ConnectionTerminated)?;
        received += chunk.len() as u64;
        if received > max_response {
            return Err(HttpError::HttpResponseBodySize(Some(max_response)));
        }
        Ok(http_body::Frame::data(chunk))
    });
    let body = http_body_util::StreamBody::new(frames.map_err(|e| e)).boxed_unsync();
    out.body(body).map_err(|_| HttpError::HttpProtocolError)
}

/// A `Retry-After` of whole seconds, if the answer has one.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The wait before retry `attempt` (0-based): the server's `Retry-After`
/// when given, else 100 ms doubling; at most 5 s either way.
fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or(Duration::from_millis(100) * 2u32.pow(attempt))
        .min(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        assert_eq!(backoff(0, None), Duration::from_millis(100));
        assert_eq!(backoff(2, None), Duration::from_millis(400));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            backoff(0, Some(Duration::from_secs(60))),
            Duration::from_secs(5)
        );
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
    }
}
