//! Bearer-token authentication of the HTTP API and `/mcp`.
//!
//! With no tokens configured the API is open; configuration refuses that on
//! a non-loopback listen address (`paddock_config`'s `api` resolution). With
//! tokens, every request carries `Authorization: Bearer <token>`; the token
//! is found by comparing SHA-256 digests in constant time against every
//! configured token (so neither its content nor its length leaks through
//! timing), and its scope (slots × verbs) is checked for verb calls here and
//! for MCP tool calls in [`crate::mcp`]. Tokens are never logged: only the
//! name of the one used.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use paddock_config::ApiToken;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The configured tokens, with their digests.
#[derive(Clone, Default)]
pub struct Tokens {
    entries: Arc<Vec<(ApiToken, [u8; 32])>>,
}

/// Who is calling: the token a request authenticated with, in its extensions.
#[derive(Clone, Debug)]
pub struct Caller(pub Option<ApiToken>);

impl Caller {
    /// `Ok` when the caller may call `verb` on `slot`; the refusal otherwise.
    pub fn check(&self, slot: &str, verb: &str) -> Result<(), String> {
        let Some(token) = &self.0 else { return Ok(()) };
        let slot = paddock_config::canonical_slot_name(slot);
        let verb = verb.replace('-', "_");
        let scoped = ApiToken {
            verbs: token.verbs.iter().map(|v| v.replace('-', "_")).collect(),
            ..token.clone()
        };
        if scoped.allows(slot, &verb) {
            Ok(())
        } else {
            Err(format!(
                "API token '{}' may not call {slot}.{verb}: its scope is slots [{}], verbs [{}]; widen it in [[api.tokens]] or use another token",
                token.name,
                token.slots.join(", "),
                token.verbs.join(", ")
            ))
        }
    }
}

impl Tokens {
    /// From the configuration.
    pub fn new(tokens: &[ApiToken]) -> Self {
        Tokens {
            entries: Arc::new(
                tokens
                    .iter()
                    .map(|t| (t.clone(), Sha256::digest(t.token.as_bytes()).into()))
                    .collect(),
            ),
        }
    }

    /// Whether the API is open (no tokens).
    pub fn is_open(&self) -> bool {
        self.entries.is_empty()
    }

    /// The token `presented` matches, compared in constant time against all.
    fn find(&self, presented: &str) -> Option<&ApiToken> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (token, expected) in self.entries.iter() {
            if bool::from(expected.ct_eq(&digest)) {
                found = Some(token);
            }
        }
        found
    }
}

/// The middleware: authenticates, refuses out-of-scope verb calls, and
/// leaves the [`Caller`] in the request's extensions.
pub async fn require(State(tokens): State<Tokens>, mut request: Request, next: Next) -> Response {
    if tokens.is_open() {
        request.extensions_mut().insert(Caller(None));
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = presented.and_then(|p| tokens.find(p)) else {
        let message = if presented.is_some() {
            "the API token is not valid: send one of the tokens configured in [[api.tokens]] or PADDOCK_API_TOKEN"
        } else {
            "this daemon requires an API token: send `Authorization: Bearer <token>`"
        };
        tracing::warn!(target: "paddock::audit", path = %request.uri().path(), "refused a request: {}", if presented.is_some() { "invalid token" } else { "no token" });
        let body = json!({"error": {"kind": "unauthenticated", "message": message}});
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(body),
        )
            .into_response();
    };
    let caller = Caller(Some(token.clone()));
    if let Some((slot, verb)) = verb_of(request.uri().path())
        && let Err(message) = caller.check(slot, verb)
    {
        tracing::warn!(target: "paddock::audit", token = %token.name, "{message}");
        let body = json!({"error": {"kind": "forbidden", "message": message}});
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// `(slot, verb)` of `/tools/domains/{slot}/{verb}`.
fn verb_of(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/tools/domains/")?;
    let (slot, verb) = rest.split_once('/')?;
    Some((slot, verb.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(slots: &[&str], verbs: &[&str]) -> ApiToken {
        ApiToken {
            name: "ci".into(),
            token: "0123456789abcdef-token".into(),
            slots: slots.iter().map(|s| s.to_string()).collect(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn finds_tokens_and_checks_scopes() {
        let tokens = Tokens::new(&[token(&["db"], &["query", "create-branch"])]);
        assert!(tokens.find("0123456789abcdef-token").is_some());
        assert!(tokens.find("0123456789abcdef-tokeN").is_none());
        assert!(tokens.find("").is_none());
        let caller = Caller(Some(token(&["db"], &["query", "create-branch"])));
        assert!(caller.check("database", "query").is_ok());
        assert!(caller.check("db", "create_branch").is_ok());
        let err = caller.check("db", "migrate").unwrap_err();
        assert!(err.contains("'ci'") && !err.contains("abcdef"), "{err}");
        assert!(Caller(None).check("db", "migrate").is_ok());
    }

    #[test]
    fn reads_verb_paths() {
        assert_eq!(verb_of("/tools/domains/db/query"), Some(("db", "query")));
        assert_eq!(verb_of("/v1/slots"), None);
    }
}
