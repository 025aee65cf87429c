//! The `neon` and `supabase` db drivers through the real daemon, against
//! loopback fakes that answer as the vendors' API descriptions say
//! (`tests/fakes/`, which name the documents and operations). The slot
//! grants the fake's origin and points the driver at it with `api_url`.
//!
//! What is checked besides the verbs: missing settings and secrets are
//! reported in the seeds' words; a wrong key is `access-denied`; the host,
//! not the driver, puts the key in `Authorization` (the fake saw it) and the
//! key shows up in no answer and no line of the daemon's stderr.
//!
//! Live tests against the real services run only with `PADDOCK_LIVE_NEON=1`
//! (and `NEON_API_KEY`, `NEON_PROJECT_ID`) or `PADDOCK_LIVE_SUPABASE=1`
//! (and `SUPABASE_SERVICE_KEY` or `SUPABASE_ACCESS_TOKEN`, `SUPABASE_URL`,
//! `SUPABASE_PROJECT_REF`); otherwise they say why they were skipped.

#[path = "../fakes/http.rs"]
mod http;
#[path = "../fakes/neon.rs"]
mod neon;
#[path = "../fakes/supabase.rs"]
mod supabase;

use paddock_integration::{Daemon, assert_contains, message};
use serde_json::{Value, json};

use neon::{FakeNeon, PROJECT_ID};
use supabase::{FakeSupabase, PROJECT_REF};

const NEON_KEY: &str = "neon-key-Zq81-do-not-leak";
const SUPABASE_KEY: &str = "sbp_supabase-key-Xw42-do-not-leak";

fn neon_toml(api_url: &str, origin: &str) -> String {
    format!(
        "[slots.db]\ndriver = \"neon\"\n\
         [slots.db.settings]\napi_url = \"{api_url}\"\n\
         [slots.db.grants]\nhttp = [\"{origin}\"]\nsecrets = [\"NEON_API_KEY\"]\n"
    )
}

fn neon_daemon(fake: &FakeNeon, key: &str) -> Daemon {
    Daemon::builder()
        .plugins(&["neon_db", "fake_storage", "fake_deploy"])
        .env("NEON_API_KEY", key)
        .env("NEON_PROJECT_ID", PROJECT_ID)
        .file(
            "paddock.toml",
            neon_toml(&fake.api_url(), &fake.server.origin()),
        )
        .start()
}

fn supabase_daemon(fake: &FakeSupabase, key: &str) -> Daemon {
    let origin = fake.server.origin();
    Daemon::builder()
        .plugins(&["supabase_db", "fake_storage", "fake_deploy"])
        .env("DATABASE_TYPE", "supabase")
        .env("SUPABASE_SERVICE_KEY", key)
        .env(
            "SUPABASE_URL",
            &format!("https://{PROJECT_REF}.supabase.co"),
        )
        .env("SUPABASE_PROJECT_REF", PROJECT_REF)
        .file(
            "paddock.toml",
            format!(
                "[slots.db.settings]\napi_url = \"{origin}\"\n\
                 [slots.db.grants]\nhttp = [\"{origin}\"]\nsecrets = [\"SUPABASE_SERVICE_KEY\"]\n"
            ),
        )
        .start()
}

/// Neither the daemon's stderr nor `answers` contain `secret`; the fake saw
/// it as `Authorization: Bearer <secret>` on every request.
#[track_caller]
fn assert_secret_kept(d: &Daemon, seen: &[http::Seen], secret: &str, answers: &[String]) {
    assert!(!seen.is_empty(), "the fake saw no request");
    for s in seen {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {secret}").as_str()),
            "{} {}",
            s.method,
            s.path
        );
    }
    assert!(
        !d.stderr().contains(secret),
        "the secret is in the daemon's stderr"
    );
    for a in answers {
        assert!(!a.contains(secret), "the secret is in an answer: {a}");
    }
}

fn branch_names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn neon_missing_settings_and_secrets_are_named() {
    let toml = neon_toml("http://127.0.0.1:9/api/v2", "http://127.0.0.1:9");
    let d = Daemon::builder()
        .plugins(&["neon_db", "fake_storage", "fake_deploy"])
        .file("paddock.toml", &toml)
        .start();
    let view = d.slot_view("db");
    assert_eq!(view["status"], "error", "{view}");
    // The seeds' own words: secrets and settings in one list.
    assert_eq!(
        view["error"],
        "Failed to load database driver 'neon': Missing required environment variables: NEON_API_KEY, NEON_PROJECT_ID"
    );
    d.fail("db", "list_branches", json!({}), 503, "driver-unavailable");

    // With the project set, the missing secret is named the same way.
    let d = Daemon::builder()
        .plugins(&["neon_db", "fake_storage", "fake_deploy"])
        .env("NEON_PROJECT_ID", PROJECT_ID)
        .file("paddock.toml", &toml)
        .start();
    assert_eq!(
        d.slot_view("db")["error"],
        "Failed to load database driver 'neon': Missing required environment variables: NEON_API_KEY"
    );
}

#[test]
fn supabase_missing_settings_are_named() {
    let d = Daemon::builder()
        .plugins(&["supabase_db", "fake_storage", "fake_deploy"])
        .env("DATABASE_TYPE", "supabase")
        .file(
            "paddock.toml",
            "[slots.db.grants]\nhttp = [\"https://api.supabase.com\"]\nsecrets = [\"SUPABASE_SERVICE_KEY\"]\n",
        )
        .start();
    let view = d.slot_view("db");
    assert_eq!(view["driver"], "supabase", "{view}");
    assert_eq!(
        view["error"],
        "Failed to load database driver 'supabase': Missing required environment variables: SUPABASE_SERVICE_KEY, SUPABASE_URL, SUPABASE_PROJECT_REF"
    );
    let d = Daemon::builder()
        .plugins(&["supabase_db", "fake_storage", "fake_deploy"])
        .env("DATABASE_TYPE", "supabase")
        .env("SUPABASE_URL", "https://abcdefghijklmnopqrst.supabase.co")
        .env("SUPABASE_PROJECT_REF", PROJECT_REF)
        .file(
            "paddock.toml",
            "[slots.db.grants]\nhttp = [\"https://api.supabase.com\"]\nsecrets = [\"SUPABASE_SERVICE_KEY\"]\n",
        )
        .start();
    assert_eq!(
        d.slot_view("db")["error"],
        "Failed to load database driver 'supabase': Missing required environment variables: SUPABASE_SERVICE_KEY"
    );
}

#[test]
fn neon_wrong_key_is_access_denied() {
    let fake = FakeNeon::start(NEON_KEY);
    let d = neon_daemon(&fake, "not-the-key-Pp09");
    let e = d.fail("db", "list_branches", json!({}), 403, "access-denied");
    assert_contains(message(&e), &["HTTP 401", "NEON_API_KEY"]);
    assert!(!message(&e).contains("not-the-key-Pp09"), "{e}");
    assert!(!d.stderr().contains("not-the-key-Pp09"));
}

#[test]
fn neon_branches_list_create_delete() {
    let fake = FakeNeon::start(NEON_KEY);
    let d = neon_daemon(&fake, NEON_KEY);
    let mut answers = Vec::new();

    let h = d.ok("db", "health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    assert_eq!(h["details"]["project_id"], PROJECT_ID, "{h}");
    assert_eq!(
        h["details"]["postgres_url"],
        "postgresql://neondb_owner@ep-main-100.us-east-2.aws.neon.tech/neondb?sslmode=require",
        "{h}"
    );
    answers.push(h.to_string());

    let list = d.ok("db", "list_branches", json!({}));
    assert_eq!(branch_names(&list), ["main"]);
    assert_eq!(list[0]["primary"], true);

    let b = d.ok("db", "create_branch", json!({"name": "dev"}));
    assert_eq!(b["name"], "dev");
    assert_eq!(b["parent"], "main");
    let b2 = d.ok(
        "db",
        "create_branch",
        json!({"name": "feature", "parent": "dev"}),
    );
    assert_eq!(b2["parent"], "dev");
    answers.push(b2.to_string());
    assert_eq!(fake.branch_names(), ["main", "dev", "feature"]);
    // The request as the spec's BranchCreateRequest, with the parent's id.
    let create = fake
        .server
        .seen()
        .into_iter()
        .rfind(|s| s.method == "POST")
        .unwrap();
    assert_eq!(
        create.path,
        format!("/api/v2/projects/{PROJECT_ID}/branches")
    );
    assert_eq!(
        create.json().unwrap(),
        json!({"branch": {"name": "feature", "parent_id": b["id"]}, "endpoints": [{"type": "read_write"}]})
    );

    let e = d.fail(
        "db",
        "create_branch",
        json!({"name": "dev"}),
        409,
        "already-exists",
    );
    answers.push(e.to_string());
    d.fail(
        "db",
        "create_branch",
        json!({"name": "x", "parent": "nope"}),
        404,
        "not-found",
    );

    d.ok("db", "delete_branch", json!({"name": "dev"}));
    assert_eq!(fake.branch_names(), ["main", "feature"]);
    d.fail(
        "db",
        "delete_branch",
        json!({"name": "dev"}),
        404,
        "not-found",
    );
    d.fail(
        "db",
        "delete_branch",
        json!({"name": "main"}),
        409,
        "conflict",
    );
    let list = d.ok("db", "list_branches", json!({}));
    assert_eq!(branch_names(&list), ["feature", "main"]);

    // SQL is unsupported, pointing to the postgres driver.
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        501,
        "unsupported",
    );
    assert_contains(message(&e), &["postgres", "postgres_url"]);

    assert_secret_kept(&d, &fake.server.seen(), NEON_KEY, &answers);
}

#[test]
fn supabase_query_execute_migrate_round_trip() {
    let fake = FakeSupabase::start(SUPABASE_KEY);
    let d = supabase_daemon(&fake, SUPABASE_KEY);
    let mut answers = Vec::new();

    let h = d.ok("db", "health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    assert_eq!(h["details"]["project_ref"], PROJECT_REF);

    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    std::fs::write(
        m.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        m.join("0002_seed.sql"),
        "INSERT INTO users (email) VALUES ('root@x');",
    )
    .unwrap();
    let dir_arg = m.display().to_string();

    let r = d.ok("db", "migrate", json!({"dir": dir_arg, "dry_run": true}));
    let states = |r: &Value| -> Vec<String> {
        r["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{} {}", m["version"], m["state"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(states(&r), ["1 pending", "2 pending"], "{r}");
    let r = d.ok("db", "migrate", json!({"dir": dir_arg, "target": 1}));
    assert_eq!(states(&r), ["1 applied-now", "2 skipped"], "{r}");
    let r = d.ok("db", "migrate", json!({"dir": dir_arg}));
    assert_eq!(states(&r), ["1 applied", "2 applied-now"], "{r}");
    assert_eq!(r["current_version"], 2);

    let e = d.ok(
        "db",
        "execute",
        json!({"sql": "INSERT INTO users (email) VALUES ($1) RETURNING id", "params": [{"text": "b@x"}]}),
    );
    assert_eq!(e["rows_affected"], 1, "{e}");
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT id, email FROM users WHERE id >= $1 ORDER BY id", "params": [{"integer": 1}]}),
    );
    assert_eq!(
        rs["rows"],
        json!([[{"integer": 1}, {"text": "root@x"}], [{"integer": 2}, {"text": "b@x"}]]),
        "{rs}"
    );
    assert_eq!(rs["columns"][1]["name"], "email");
    answers.push(rs.to_string());

    // query is read-only by the database's doing.
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "DELETE FROM users"}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &["25006"]);
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT count(*) AS n FROM users"}),
    );
    assert_eq!(rs["rows"], json!([[{"integer": 2}]]));

    // An edited, applied migration is a conflict; the failed migration leaves nothing.
    std::fs::write(m.join("0001_users.sql"), "CREATE TABLE users (id INTEGER);").unwrap();
    let e = d.fail("db", "migrate", json!({"dir": dir_arg}), 409, "conflict");
    answers.push(e.to_string());
    std::fs::write(
        m.join("0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        m.join("0003_bad.sql"),
        "CREATE TABLE t3 (a INT); INSERT INTO nowhere VALUES (1);",
    )
    .unwrap();
    let e = d.fail("db", "migrate", json!({"dir": dir_arg}), 404, "not-found");
    assert_contains(message(&e), &["migration 3", "42P01"]);
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT count(*) AS n FROM sqlite_master WHERE name = 't3'"}),
    );
    assert_eq!(
        rs["rows"],
        json!([[{"integer": 0}]]),
        "the failed migration was rolled back"
    );

    // The request bodies were the spec's V1RunQueryBody.
    let seen = fake.server.seen();
    let queries: Vec<Value> = seen
        .iter()
        .filter(|s| s.path.ends_with("/database/query"))
        .map(|s| s.json().unwrap())
        .collect();
    assert!(queries.iter().any(|q| q["read_only"] == true));
    assert!(queries.iter().all(|q| q["query"].is_string()));

    // Branches.
    let b = d.ok("db", "create_branch", json!({"name": "preview"}));
    assert_eq!(b["parent"], "main");
    assert_eq!(
        branch_names(&d.ok("db", "list_branches", json!({}))),
        ["main", "preview"]
    );
    d.fail(
        "db",
        "create_branch",
        json!({"name": "x", "parent": "preview"}),
        501,
        "unsupported",
    );
    d.ok("db", "delete_branch", json!({"name": "preview"}));
    assert_eq!(
        branch_names(&d.ok("db", "list_branches", json!({}))),
        ["main"]
    );

    assert_secret_kept(&d, &fake.server.seen(), SUPABASE_KEY, &answers);
}

#[test]
fn supabase_wrong_key_is_access_denied() {
    let fake = FakeSupabase::start(SUPABASE_KEY);
    let d = supabase_daemon(&fake, "sbp_wrong-Kk77");
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &["HTTP 401", "SUPABASE_SERVICE_KEY"]);
    assert!(!d.stderr().contains("sbp_wrong-Kk77"));
}

/// `Some(value)` of every variable, or `None` after saying why the live
/// test is skipped.
fn live(flag: &str, vars: &[&str]) -> Option<Vec<String>> {
    if std::env::var(flag).ok().as_deref() != Some("1") {
        eprintln!(
            "SKIPPED: set {flag}=1 and {} to run this test against the real service",
            vars.join(", ")
        );
        return None;
    }
    let values: Vec<Option<String>> = vars
        .iter()
        .map(|v| std::env::var(v).ok().filter(|x| !x.is_empty()))
        .collect();
    if values.iter().any(Option::is_none) {
        eprintln!(
            "SKIPPED: {flag}=1 but one of {} is not set",
            vars.join(", ")
        );
        return None;
    }
    Some(values.into_iter().map(Option::unwrap).collect())
}

#[test]
fn live_neon_lists_branches() {
    let Some(v) = live("PADDOCK_LIVE_NEON", &["NEON_API_KEY", "NEON_PROJECT_ID"]) else {
        return;
    };
    let d = Daemon::builder()
        .plugins(&["neon_db", "fake_storage", "fake_deploy"])
        .env("NEON_API_KEY", &v[0])
        .env("NEON_PROJECT_ID", &v[1])
        .file(
            "paddock.toml",
            "[slots.db]\ndriver = \"neon\"\n[slots.db.grants]\nhttp = [\"https://console.neon.tech\"]\nsecrets = [\"NEON_API_KEY\"]\n",
        )
        .start();
    let h = d.ok("db", "health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    let list = d.ok("db", "list_branches", json!({}));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|b| b["primary"] == true),
        "{list}"
    );
    assert!(!d.stderr().contains(&v[0]));
}

#[test]
fn live_supabase_runs_a_read_only_query() {
    let Some(v) = live(
        "PADDOCK_LIVE_SUPABASE",
        &[
            "SUPABASE_SERVICE_KEY",
            "SUPABASE_URL",
            "SUPABASE_PROJECT_REF",
        ],
    ) else {
        return;
    };
    let d = Daemon::builder()
        .plugins(&["supabase_db", "fake_storage", "fake_deploy"])
        .env("DATABASE_TYPE", "supabase")
        .env("SUPABASE_SERVICE_KEY", &v[0])
        .env("SUPABASE_URL", &v[1])
        .env("SUPABASE_PROJECT_REF", &v[2])
        .file(
            "paddock.toml",
            "[slots.db.grants]\nhttp = [\"https://api.supabase.com\"]\nsecrets = [\"SUPABASE_SERVICE_KEY\"]\n",
        )
        .start();
    let rs = d.ok("db", "query", json!({"sql": "SELECT 1 AS one"}));
    assert_eq!(rs["rows"], json!([[{"integer": 1}]]), "{rs}");
    d.fail(
        "db",
        "query",
        json!({"sql": "CREATE TABLE paddock_live_probe (a int)"}),
        403,
        "access-denied",
    );
    assert!(!d.stderr().contains(&v[0]));
}
