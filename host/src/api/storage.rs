//! Streamed storage bodies over HTTP: raw `put` bodies with the arguments in
//! the query string, and `get` answered with the object's bytes.

use super::{error_response, read_json};
use crate::capabilities::body::BodySource;
use crate::error::CallError;
use crate::service::Service;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Largest object a JSON `get` answer carries (raw answers have no limit).
pub const MAX_JSON_OBJECT: u64 = crate::domains::storage::MAX_INLINE_OBJECT;

/// Query-string arguments: `container`, `key`, `content_type`, `meta.<name>`.
fn query_args(request: &Request) -> Result<Map<String, Value>, CallError> {
    let mut args = Map::new();
    let mut metadata = Map::new();
    for (k, v) in form_urlencoded_pairs(request.uri().query().unwrap_or("")) {
        if let Some(name) = k.strip_prefix("meta.") {
            metadata.insert(name.to_string(), Value::String(v));
        } else if k == "offset" || k == "length" {
            let n: u64 = v
                .parse()
                .map_err(|_| CallError::invalid(format!("`{k}` must be a whole number")))?;
            let range = args.entry("range").or_insert_with(|| json!({}));
            range[k.as_str()] = json!(n);
        } else {
            args.insert(k, Value::String(v));
        }
    }
    if !metadata.is_empty() {
        args.insert("metadata".into(), Value::Object(metadata));
    }
    Ok(args)
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// `put` with the object's bytes as the raw request body.
pub async fn put_raw(service: Arc<Service>, slot: &str, request: Request) -> Response {
    let mut args = match query_args(&request) {
        Ok(a) => a,
        Err(e) => return error_response(&e, Some(slot), Some("put")),
    };
    let headers = request.headers();
    if !args.contains_key("content_type")
        && let Some(ct) = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        && ct != "application/x-www-form-urlencoded"
    {
        args.insert("content_type".into(), json!(ct));
    }
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let stream = request
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let body = BodySource::new(Box::pin(stream), size);
    match service.put_stream(slot, Value::Object(args), body).await {
        Ok(meta) => axum::Json(meta).into_response(),
        Err(e) => error_response(&e, Some(slot), Some("put")),
    }
}

/// `get`: the object's bytes, streamed, with its metadata in headers; or a
/// JSON answer with the bytes inline when the caller accepts only JSON.
pub async fn get(service: Arc<Service>, slot: &str, request: Request) -> Response {
    let wants_json = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("application/json"));
    let mut args = match query_args(&request) {
        Ok(a) => a,
        Err(e) => return error_response(&e, Some(slot), Some("get")),
    };
    match read_json(request).await {
        Ok(Value::Object(body)) => args.extend(body),
        Ok(_) => {}
        Err(e) => return error_response(&e, Some(slot), Some("get")),
    }
    let download = match service.get_stream(slot, Value::Object(args)).await {
        Ok(d) => d,
        Err(e) => return error_response(&e, Some(slot), Some("get")),
    };
    if wants_json {
        return match crate::domains::storage::inline_object(download, MAX_JSON_OBJECT).await {
            Ok(answer) => axum::Json(answer).into_response(),
            Err(e) => error_response(&e, Some(slot), Some("get")),
        };
    }
    let meta = &download.meta;
    let size = meta
        .get("size")
        .and_then(Value::as_u64)
        .unwrap_or(download.length);
    let partial = download.offset > 0 || download.length < size;
    let mut response = Response::new(Body::from_stream(download.body));
    *response.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = response.headers_mut();
    let content_type = meta
        .get("content_type")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream");
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(download.length));
    if let Some(etag) = meta.get("etag").and_then(Value::as_str)
        && let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\""))
    {
        h.insert(header::ETAG, v);
    }
    if partial && download.length > 0 {
        let range = format!(
            "bytes {}-{}/{size}",
            download.offset,
            download.offset + download.length - 1
        );
        if let Ok(v) = HeaderValue::from_str(&range) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&meta.to_string()) {
        h.insert("x-paddock-meta", v);
    }
    response.into_response()
}
