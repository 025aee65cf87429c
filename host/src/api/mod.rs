//! The HTTP API: `POST /tools/domains/{slot}/{verb}`, listings, health and
//! metrics; and the MCP endpoint `/mcp` ([`crate::mcp`]).

pub mod auth;
mod errors;
mod storage;

use crate::error::{CallError, ErrorKind};
use crate::service::Service;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use errors::error_response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest JSON request body accepted (streamed `put` bodies are not limited by it).
pub const MAX_JSON_BODY: usize = 16 << 20;

/// The router of the daemon listening on `local`; `shutdown` ends the MCP
/// endpoint's long-lived streams when the daemon stops.
pub fn router(
    service: Arc<Service>,
    local: std::net::SocketAddr,
    shutdown: tokio_util::sync::CancellationToken,
) -> Router {
    Router::new()
        .route_service(
            "/mcp",
            crate::mcp::http_service(service.clone(), local, shutdown),
        )
        .route("/tools/domains/{slot}/{verb}", post(call))
        .route("/v1/slots", get(slots))
        .route("/v1/drivers", get(drivers))
        .route("/health", get(health))
        .route("/health/{slot}", get(slot_health))
        .route("/metrics", get(metrics))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(
            auth::Tokens::new(&service.config().api_tokens),
            auth::require,
        ))
        .with_state(service)
}

async fn call(
    State(service): State<Arc<Service>>,
    Path((slot, verb)): Path<(String, String)>,
    request: Request,
) -> Response {
    if let Err(e) = service.binding(&slot) {
        return error_response(&e, Some(&slot), Some(&verb));
    }
    let verb_name = verb.replace('_', "-");
    let domain = service
        .registry()
        .slots
        .get(paddock_config::canonical_slot_name(&slot))
        .and_then(|s| s.domain);
    if domain == Some(crate::runtime::Domain::Storage) {
        match verb_name.as_str() {
            "put" if !is_json(request.headers()) => {
                return storage::put_raw(service, &slot, request).await;
            }
            "get" => return storage::get(service, &slot, request).await,
            _ => {}
        }
    }
    let args = match read_json(request).await {
        Ok(v) => v,
        Err(e) => return error_response(&e, Some(&slot), Some(&verb)),
    };
    match service.call(&slot, &verb, args).await {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => error_response(&e, Some(&slot), Some(&verb)),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"))
}

/// Reads a JSON request body; an empty body is `{}`.
async fn read_json(request: Request) -> Result<Value, CallError> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
        .await
        .map_err(|e| {
            CallError::new(
                ErrorKind::QuotaExceeded,
                format!("request body is over {MAX_JSON_BODY} bytes or could not be read: {e}; stream large objects with storage put"),
            )
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| CallError::invalid(format!("request body is not valid JSON: {e}")))
}

async fn method_not_allowed(request: Request) -> Response {
    let body = json!({"error": {"kind": "method-not-allowed", "message": format!(
        "{} is not served at {}; verbs are called with POST /tools/domains/{{slot}}/{{verb}}",
        request.method(), request.uri().path()
    )}});
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

async fn no_route(request: Request) -> Response {
    let body = json!({"error": {"kind": "not-found", "message": format!(
        "no route {}; see POST /tools/domains/{{slot}}/{{verb}}, GET /v1/slots, /v1/drivers, /health, /metrics, /mcp",
        request.uri().path()
    )}});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

async fn slots(State(service): State<Arc<Service>>) -> Response {
    axum::Json(json!({"slots": service.registry().slot_views()})).into_response()
}

async fn drivers(State(service): State<Arc<Service>>) -> Response {
    let registry = service.registry();
    let drivers: Vec<Value> = registry
        .unique_drivers()
        .iter()
        .map(|d| crate::cli::driver_json(d))
        .collect();
    let errors: Vec<Value> = registry
        .load_errors
        .iter()
        .map(|(path, reason)| json!({"file": path.display().to_string(), "error": reason}))
        .collect();
    axum::Json(json!({"drivers": drivers, "load_errors": errors})).into_response()
}

async fn health(State(service): State<Arc<Service>>) -> Response {
    let registry = service.registry();
    let mut slots = serde_json::Map::new();
    let mut all_ready = true;
    for (name, slot) in &registry.slots {
        let entry = match &slot.binding {
            Ok(b) => json!({"status": "ready", "driver": b.driver.name()}),
            Err(e) => {
                all_ready = false;
                json!({"status": "error", "driver": slot.config.driver, "error": e})
            }
        };
        slots.insert(name.clone(), entry);
    }
    axum::Json(json!({
        "status": if all_ready { "healthy" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "slots": slots,
    }))
    .into_response()
}

async fn slot_health(State(service): State<Arc<Service>>, Path(slot): Path<String>) -> Response {
    let name = paddock_config::canonical_slot_name(&slot).to_string();
    let driver = service
        .registry()
        .slots
        .get(&name)
        .map(|s| s.config.driver.clone());
    match service.call(&name, "health", json!({})).await {
        Ok(report) => {
            let healthy = report
                .get("healthy")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let body = json!({
                "status": if healthy { "healthy" } else { "unhealthy" },
                "slot": name,
                "driver": driver,
                "message": report.get("message"),
                "details": report.get("details"),
            });
            (status, axum::Json(body)).into_response()
        }
        Err(e) if e.kind == ErrorKind::UnknownSlot => {
            error_response(&e, Some(&slot), Some("health"))
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "unhealthy",
                "slot": name,
                "driver": driver,
                "error": {"kind": e.kind, "message": e.message},
            })),
        )
            .into_response(),
    }
}

async fn metrics(State(service): State<Arc<Service>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        Body::from(service.metrics.render()),
    )
        .into_response()
}
