//! `[[api.tokens]]` and `PADDOCK_API_TOKEN`: who may call the HTTP API.
//!
//! A daemon listening on anything but a loopback address must have at least
//! one token, or it refuses to start: an open API there would lend every
//! driver's capabilities to the network.

use std::net::SocketAddr;

use crate::env::Environment;
use crate::error::Issue;
use crate::files::PaddockToml;
use crate::interpolate::Interpolator;
use crate::model::ApiToken;
use crate::select::{canonical_slot_name, is_valid_name};

/// The environment variable holding one token allowed everything.
pub const API_TOKEN_VAR: &str = "PADDOCK_API_TOKEN";

/// Shortest accepted token: shorter ones can be guessed.
const MIN_TOKEN_LEN: usize = 16;

pub(super) fn resolve(
    paddock: Option<&PaddockToml>,
    env: &Environment,
    listen: SocketAddr,
    interp: &mut Interpolator<'_>,
    issues: &mut Vec<Issue>,
) -> Vec<ApiToken> {
    let mut tokens = Vec::new();
    if let Some(token) = env.non_empty(API_TOKEN_VAR)
        && check_length(token, API_TOKEN_VAR, issues)
    {
        tokens.push(ApiToken {
            name: API_TOKEN_VAR.to_owned(),
            token: token.to_owned(),
            slots: vec!["*".to_owned()],
            verbs: vec!["*".to_owned()],
        });
    }
    if let Some(paddock) = paddock {
        let file = paddock.origin.display();
        for (i, raw) in paddock.api.tokens.iter().enumerate() {
            let origin = |key: &str| format!("{file}:{}: api.tokens[{i}].{key}", raw.line);
            let name = raw
                .name
                .clone()
                .unwrap_or_else(|| format!("api.tokens[{i}]"));
            let Some(written) = &raw.token else {
                issues.push(Issue::InvalidValue {
                    what: "API token".to_owned(),
                    value: String::new(),
                    origin: origin("token"),
                    expected: "set `token = \"${MY_API_TOKEN}\"` (keep the value in the environment or the vault)".to_owned(),
                });
                continue;
            };
            let Some(token) = interp.expand(written, || origin("token")) else {
                continue;
            };
            let slots = list(
                raw.slots.as_deref(),
                |s| origin(&format!("slots[{s}]")),
                interp,
            );
            let verbs = list(
                raw.verbs.as_deref(),
                |v| origin(&format!("verbs[{v}]")),
                interp,
            );
            for slot in &slots {
                if slot != "*" && !is_valid_name(slot) {
                    issues.push(Issue::InvalidValue {
                        what: "slot name".to_owned(),
                        value: slot.clone(),
                        origin: origin("slots"),
                        expected: "a slot name such as \"storage\", or \"*\" for every slot"
                            .to_owned(),
                    });
                }
            }
            if check_length(&token, &origin("token"), issues) {
                tokens.push(ApiToken {
                    name,
                    token,
                    slots: slots
                        .iter()
                        .map(|s| canonical_slot_name(s).to_owned())
                        .collect(),
                    verbs,
                });
            }
        }
    }
    if tokens.is_empty() && !listen.ip().is_loopback() {
        issues.push(Issue::InvalidValue {
            what: "listen address".to_owned(),
            value: listen.to_string(),
            origin: "server.listen".to_owned(),
            expected: format!(
                "a loopback address such as 127.0.0.1:7001, or API tokens: {listen} is reachable from the network, so set {API_TOKEN_VAR} or add [[api.tokens]] with token, slots and verbs to paddock.toml"
            ),
        });
    }
    tokens
}

/// The interpolated entries; `*` when the list is unset.
fn list(
    raw: Option<&[String]>,
    origin: impl Fn(usize) -> String,
    interp: &mut Interpolator<'_>,
) -> Vec<String> {
    match raw {
        None => vec!["*".to_owned()],
        Some(items) => interp.expand_all(items, origin),
    }
}

fn check_length(token: &str, origin: &str, issues: &mut Vec<Issue>) -> bool {
    if token.chars().count() >= MIN_TOKEN_LEN {
        return true;
    }
    issues.push(Issue::InvalidValue {
        what: "API token".to_owned(),
        value: "[redacted]".to_owned(),
        origin: origin.to_owned(),
        expected: format!(
            "at least {MIN_TOKEN_LEN} random characters, e.g. from `openssl rand -hex 32`"
        ),
    });
    false
}
