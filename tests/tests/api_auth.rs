//! API bearer tokens: required on a network bind, scoped by slot and verb,
//! compared as secrets and never logged.

use paddock_integration::{Daemon, assert_error, cli, message};
use reqwest::Method;
use serde_json::json;

const ADMIN: &str = "admin-token-0123456789abcdef";
const READER: &str = "reader-token-0123456789abcdef";

fn daemon() -> Daemon {
    Daemon::builder()
        .env("PADDOCK_API_TOKEN", ADMIN)
        .env("READER_TOKEN", READER)
        .file(
            "paddock.toml",
            "[[api.tokens]]\nname = \"reader\"\ntoken = \"${READER_TOKEN}\"\nslots = [\"storage\"]\nverbs = [\"list\", \"head\", \"get\"]\n",
        )
        .start()
}

#[test]
fn every_request_needs_a_valid_token_within_its_scope() {
    let d = daemon();
    let call = |token: Option<&str>, slot: &str, verb: &str| {
        let mut request = d
            .request(Method::POST, &format!("/tools/domains/{slot}/{verb}"))
            .json(&json!({"container": "c"}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        d.send(request)
    };
    let none = call(None, "storage", "list");
    let e = assert_error(&none, 401, "unauthenticated");
    assert!(message(&e).contains("Authorization: Bearer"), "{e}");
    assert_eq!(none.header("www-authenticate").as_deref(), Some("Bearer"));
    assert_error(
        &call(Some("wrong-token-0123456789"), "storage", "list"),
        401,
        "unauthenticated",
    );
    assert_error(&d.get("/v1/slots"), 401, "unauthenticated");

    // The reader may list storage, nothing else.
    let listed = call(Some(READER), "storage", "list");
    assert_ne!(listed.status, 401);
    assert_ne!(listed.status, 403, "{}", listed.text());
    let e = assert_error(&call(Some(READER), "storage", "delete"), 403, "forbidden");
    assert!(
        message(&e).contains("'reader' may not call storage.delete"),
        "{e}"
    );
    assert_error(&call(Some(READER), "db", "query"), 403, "forbidden");

    // The admin token may do anything.
    let created = d.send(
        d.request(Method::POST, "/tools/domains/storage/create_container")
            .json(&json!({"name": "auth-test"}))
            .bearer_auth(ADMIN),
    );
    assert!(
        created.status == 200 || created.status == 409,
        "{}",
        created.text()
    );
    let slots = d.send(d.request(Method::GET, "/v1/slots").bearer_auth(ADMIN));
    assert_eq!(slots.status, 200);

    let log = d.stderr();
    assert!(
        !log.contains(ADMIN) && !log.contains(READER),
        "tokens logged:\n{log}"
    );
}

#[test]
fn a_network_bind_without_tokens_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["serve", "--listen", "0.0.0.0:0"], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("0.0.0.0:0") && out.stderr.contains("PADDOCK_API_TOKEN"),
        "{out:?}"
    );
    let out = cli(
        dir.path(),
        &["check", "--listen", "0.0.0.0:0"],
        &[("PADDOCK_API_TOKEN", "short")],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("at least 16") || out.stdout.contains("at least 16"),
        "{out:?}"
    );
}
