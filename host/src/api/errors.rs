//! Errors as HTTP answers: a stable JSON body and a fitting status.

use crate::error::{CallError, ErrorKind};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"error": {"kind", "message", "slot", "verb", …}}` with the kind's status,
/// and `Retry-After` when the driver said when to retry.
pub fn error_response(error: &CallError, slot: Option<&str>, verb: Option<&str>) -> Response {
    let status =
        StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({
        "kind": error.kind,
        "message": crate::capabilities::secrets::scrub(&error.message),
    });
    if let Some(slot) = slot {
        body["slot"] = json!(slot);
    }
    if let Some(verb) = verb {
        body["verb"] = json!(verb);
    }
    if let Some(ms) = error.retry_after_ms {
        body["retry_after_ms"] = json!(ms);
    }
    if let Some(code) = &error.code {
        body["code"] = json!(code);
    }
    let mut response = (status, axum::Json(json!({"error": body}))).into_response();
    if error.kind == ErrorKind::Unavailable || error.kind == ErrorKind::DriverUnavailable {
        let secs = error
            .retry_after_ms
            .map(|ms| ms.div_ceil(1000))
            .unwrap_or(1)
            .max(1);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}
