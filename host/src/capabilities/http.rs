//! Outbound HTTP (`wasi:http`). Every request a driver sends passes through
//! [`HttpHooks::send_request`]; this version lends no HTTP at all, so every
//! request is denied with a logged reason that names the grant to add.

use std::sync::Arc;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// The slot's outbound HTTP policy.
#[derive(Debug)]
pub struct HttpPolicy {
    slot: String,
}

impl HttpPolicy {
    /// A policy that denies every request.
    pub fn deny_all(slot: &str) -> Self {
        HttpPolicy {
            slot: slot.to_string(),
        }
    }

    fn denial(&self, uri: &http::Uri) -> String {
        let origin = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(|a| a.as_str()).unwrap_or("?")
        );
        format!(
            "outbound HTTP to {origin} denied: slot '{}' is not granted that origin (grant it with [slots.{}.grants] http = [\"{origin}\"])",
            self.slot, self.slot
        )
    }
}

/// The `wasi:http` hooks of one store.
pub struct HttpHooks {
    policy: Arc<HttpPolicy>,
}

impl HttpHooks {
    /// Hooks enforcing `policy`.
    pub fn new(policy: Arc<HttpPolicy>) -> Self {
        HttpHooks { policy }
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
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let reason = self.policy.denial(request.uri());
        tracing::warn!(target: "paddock::capability", slot = %self.policy.slot, "{reason}");
        Box::new(async move { Err(HttpError::HttpRequestDenied) })
    }
}
