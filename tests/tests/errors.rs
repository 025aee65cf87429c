//! Error paths, each checked for its status and its error body: unknown
//! slots and verbs, malformed JSON, wrong types, missing drivers, files that
//! are not drivers, and drivers that crash or never return.

use paddock_integration::{Daemon, Method, assert_contains, assert_error, json, message};
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn unknown_slot() {
    let d = Daemon::start();
    let e = d.fail(
        "nope",
        "query",
        json!({"sql": "SELECT 1"}),
        404,
        "unknown-slot",
    );
    assert_eq!(
        message(&e),
        "no slot named 'nope'; slots: backend, db, frontend, storage"
    );
    let reply = d.get("/health/nope");
    let e = assert_error(&reply, 404, "unknown-slot");
    assert_contains(message(&e), &["no slot named 'nope'"]);
}

/// A raw body sent to an unknown slot is answered 404 unknown-slot, not
/// parsed as JSON first.
#[test]
fn raw_put_to_an_unknown_slot_is_unknown_slot() {
    let d = Daemon::start();
    let reply = d.post_raw(
        "/tools/domains/archive/put?container=default&key=k",
        b"bytes".to_vec(),
    );
    let e = assert_error(&reply, 404, "unknown-slot");
    assert_contains(message(&e), &["'archive'"]);
}

#[test]
fn unknown_verb() {
    let d = Daemon::start();
    let e = d.fail("db", "drop_everything", json!({}), 404, "unknown-verb");
    assert_eq!(
        message(&e),
        "slot 'db' (driver 'sqlite') has no verb 'drop_everything'; verbs: create_branch, \
         create_table, delete_branch, execute, health, list_branches, list_tables, migrate, \
         query, read_rows, write_rows"
    );
    let e = d.fail("frontend", "deploy", json!({}), 404, "unknown-verb");
    assert_contains(message(&e), &["driver 'fake_deploy'", "create", "set_env"]);
    let e = d.fail("storage", "describe", json!({}), 404, "unknown-verb");
    assert_contains(message(&e), &["no verb 'describe'"]);
    // Verbs answer in snake_case and kebab-case alike.
    d.ok("db", "list_tables", json!({}));
    d.ok("db", "list-tables", json!({}));
}

#[test]
fn malformed_json() {
    let d = Daemon::start();
    for body in [
        &b"{\"sql\": "[..],
        b"not json",
        b"{\"sql\": \"SELECT 1\"} trailing",
    ] {
        let reply = d.send(
            d.request(Method::POST, "/tools/domains/db/query")
                .header("content-type", "application/json")
                .body(body.to_vec()),
        );
        let e = assert_error(&reply, 400, "invalid-input");
        assert_contains(message(&e), &["request body is not valid JSON"]);
        assert_eq!(
            (e["slot"].as_str(), e["verb"].as_str()),
            (Some("db"), Some("query"))
        );
    }
    // JSON, but not an object of arguments.
    let reply = d.post_json("/tools/domains/db/query", &json!(["SELECT 1"]));
    let e = assert_error(&reply, 400, "invalid-input");
    assert_contains(message(&e), &["expected an object, got an array"]);
    // An empty body is `{}`: the required argument is missing.
    let reply = d.send(d.request(Method::POST, "/tools/domains/db/query"));
    let e = assert_error(&reply, 400, "invalid-input");
    assert_contains(message(&e), &["`sql`", "missing required field"]);
    // Malformed JSON for storage get, which reads its arguments itself.
    let reply = d.send(
        d.request(Method::POST, "/tools/domains/storage/get")
            .header("content-type", "application/json")
            .body("{\"container\":".as_bytes().to_vec()),
    );
    let e = assert_error(&reply, 400, "invalid-input");
    assert_contains(message(&e), &["not valid JSON"]);
}

#[test]
fn wrong_types_and_unknown_fields() {
    let d = Daemon::start();
    let cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        (
            "db",
            "query",
            json!({"sql": 1}),
            vec![
                "invalid arguments for 'query'",
                "`sql`: expected a string, got a number",
            ],
        ),
        (
            "db",
            "query",
            json!({"sql": "SELECT ?", "params": {"text": "a"}}),
            vec!["`params`: expected an array, got an object"],
        ),
        (
            "db",
            "query",
            json!({"sql": "SELECT ?", "params": [{"decimal": "1.5"}]}),
            vec!["`params[0]`", "unknown case 'decimal'"],
        ),
        (
            "db",
            "query",
            json!({"sql": "SELECT ?", "params": [{"integer": "many"}]}),
            vec!["`params[0].integer`", "expected an integer, got a string"],
        ),
        (
            "db",
            "query",
            json!({"sql": "SELECT ?", "params": ["text"]}),
            vec!["case 'text' needs a payload"],
        ),
        (
            "db",
            "query",
            json!({"sqll": "SELECT 1"}),
            vec!["`sqll`: unknown field; expected one of: sql, params"],
        ),
        (
            "db",
            "read_rows",
            json!({"table": "t", "limit": -1}),
            vec!["`limit`", "out of range"],
        ),
        (
            "db",
            "write_rows",
            json!({"table": "t", "columns": ["a"], "rows": [], "mode": "sideways"}),
            vec![
                "`mode`: unknown value 'sideways'",
                "\"append\", \"overwrite\", \"upsert\"",
            ],
        ),
        (
            "db",
            "query",
            json!({"sql": "SELECT ?", "params": [{"bytes": "***"}]}),
            vec!["`params[0].bytes`", "base64"],
        ),
        (
            "storage",
            "list",
            json!({"container": "default", "limit": "ten"}),
            vec!["`limit`: expected an integer, got a string"],
        ),
        (
            "frontend",
            "create",
            json!({"request": {"project": "web", "source": {"ftp": "x"}}}),
            vec!["`request.source`: unknown case 'ftp'"],
        ),
        (
            "frontend",
            "create",
            json!({"request": {"project": "web"}}),
            vec!["`request.source`: missing required field"],
        ),
        (
            "backend",
            "set_env",
            json!({"project": "web", "vars": {"A": 1}}),
            vec!["`vars.A`: expected a string, got a number"],
        ),
    ];
    for (slot, verb, args, parts) in cases {
        let e = d.fail(slot, verb, args.clone(), 400, "invalid-input");
        for part in parts {
            assert!(
                message(&e).contains(part),
                "{slot}.{verb}({args}): {part:?} is not in {e}"
            );
        }
    }
}

#[test]
fn driver_errors_map_to_statuses() {
    // fake_db: its SQL subset answers `unsupported` for what it does not run.
    let d = Daemon::builder().env("DB_DRIVER", "fake_db").start();
    d.ok("storage", "create_container", json!({"name": "default"}));
    d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "keep", "body": "x"}),
    );
    d.ok(
        "db",
        "execute",
        json!({"sql": "CREATE TABLE t (id INTEGER PRIMARY KEY)"}),
    );
    let cases: Vec<(&str, &str, Value, u16, &str)> = vec![
        (
            "storage",
            "head",
            json!({"container": "default", "key": "x"}),
            404,
            "not-found",
        ),
        (
            "storage",
            "create_container",
            json!({"name": "default"}),
            409,
            "already-exists",
        ),
        (
            "storage",
            "delete_container",
            json!({"name": "default"}),
            409,
            "conflict",
        ),
        (
            "db",
            "query",
            json!({"sql": "DROP TABLE t"}),
            403,
            "access-denied",
        ),
        (
            "frontend",
            "set_env",
            json!({"project": "web", "vars": {"BIG": "x".repeat(65 * 1024 + 1)}}),
            429,
            "quota-exceeded",
        ),
        (
            "storage",
            "put",
            json!({"container": "default", "key": "..", "body": "x"}),
            400,
            "invalid-input",
        ),
        (
            "db",
            "execute",
            json!({"sql": "CREATE INDEX i ON t (id)"}),
            501,
            "unsupported",
        ),
    ];
    for (slot, verb, args, status, kind) in cases {
        let e = d.fail(slot, verb, args, status, kind);
        assert!(e.get("retry_after_ms").is_none(), "{e}");
    }
}

#[test]
fn driver_not_found_and_driver_of_another_domain() {
    let d = Daemon::builder()
        .plugins(&["fake_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("STORAGE_DRIVER", "nope")
        .env("DB_DRIVER", "fake_storage")
        .start();
    let reply = d.call("storage", "list_containers", json!({}));
    let e = assert_error(&reply, 503, "driver-unavailable");
    assert_eq!(
        message(&e),
        format!(
            "Failed to load storage driver 'nope': no driver named 'nope' in {} (available for storage: fake_storage, local)",
            d.plugins_dir().display()
        )
    );
    assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    assert_eq!(
        (e["slot"].as_str(), e["verb"].as_str()),
        (Some("storage"), Some("list_containers"))
    );
    // A raw put is refused the same way before any byte is read.
    let reply = d.post_raw(
        "/tools/domains/storage/put?container=default&key=k",
        vec![0u8; 1024],
    );
    assert_error(&reply, 503, "driver-unavailable");

    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        503,
        "driver-unavailable",
    );
    assert_eq!(
        message(&e),
        "Failed to load database driver 'fake_storage': it is a storage driver, and slot 'db' serves db"
    );
    let reply = d.get("/health/storage");
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.json()["error"]["kind"], "driver-unavailable");
    let health = d.get("/health").expect_status(200).json();
    assert_eq!(health["status"], "degraded");
    assert_contains(
        health["slots"]["storage"]["error"].as_str().unwrap(),
        &["no driver named 'nope'"],
    );
    // The deploy slots are unaffected.
    d.ok("frontend", "list", json!({}));
}

#[test]
fn files_that_are_not_drivers_are_refused_with_a_reason() {
    let d = Daemon::builder()
        .plugins(&[
            "fake_db",
            "sqlite_db",
            "fake_storage",
            "local_storage",
            "fake_deploy",
            "not_a_driver",
        ])
        .plugin_bytes("junk.wasm", "this is a text file, not WebAssembly\n")
        .plugin_bytes("core.wasm", b"\0asm\x01\0\0\0")
        .plugin_bytes("README.txt", "not a .wasm: ignored")
        .start();
    let listing = d.get("/v1/drivers").expect_status(200).json();
    let mut names: Vec<&str> = listing["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["fake_db", "fake_deploy", "fake_storage", "local", "sqlite"]
    );

    let errors = listing["load_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{listing}");
    let reason = |file: &str| -> String {
        let path = d.plugins_dir().join(file).display().to_string();
        errors
            .iter()
            .find(|e| e["file"] == path.as_str())
            .unwrap_or_else(|| panic!("no load error for {path}: {listing}"))["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_contains(
        &reason("junk.wasm"),
        &[
            "junk.wasm",
            "does not start with the WebAssembly magic bytes",
        ],
    );
    assert_contains(
        &reason("core.wasm"),
        &["core.wasm", "is not a valid WebAssembly component"],
    );
    assert_contains(
        &reason("not_a_driver.wasm"),
        &[
            "not_a_driver.wasm is not a paddock driver",
            "exports none of paddock:driver/db, paddock:driver/deploy, paddock:driver/storage",
            "hello",
        ],
    );

    // Everything else serves.
    let health = d.get("/health").expect_status(200).json();
    assert_eq!(health["status"], "healthy", "{health}");
    d.ok("db", "query", json!({"sql": "SELECT 1"}));
    d.ok("storage", "list_containers", json!({}));
    d.ok("backend", "list", json!({}));
}

#[test]
fn a_driver_that_traps_fails_only_that_call() {
    let mut d = Daemon::builder()
        .plugins(&[
            "faulty_db",
            "sqlite_db",
            "fake_storage",
            "local_storage",
            "fake_deploy",
        ])
        .env("DB_DRIVER", "faulty_db")
        .start();
    assert_eq!(d.slot_view("db")["status"], "ready");
    for _ in 0..2 {
        let e = d.fail(
            "db",
            "query",
            json!({"sql": "SELECT 1"}),
            500,
            "driver-fault",
        );
        assert_contains(
            message(&e),
            &["driver 'faulty_db' crashed", "the daemon is unaffected"],
        );
        // The next call to the same slot of the same daemon succeeds.
        assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
        let h = d.get("/health/db").expect_status(200).json();
        assert_eq!(
            (h["status"].as_str(), h["driver"].as_str()),
            (Some("healthy"), Some("faulty_db"))
        );
    }
    let e = d.fail(
        "db",
        "migrate",
        json!({"migrations": []}),
        501,
        "unsupported",
    );
    assert_eq!(message(&e), "faulty_db does not implement migrate");
    d.ok("storage", "list_containers", json!({}));
    // The guest's panic message reaches the daemon's log.
    assert_contains(&d.stderr(), &["faulty_db panics on every query"]);
    assert!(d.is_running(), "the daemon process died");
}

#[test]
fn a_call_past_its_deadline_times_out_and_others_go_on() {
    let mut d = Daemon::builder()
        .plugins(&[
            "faulty_db",
            "sqlite_db",
            "fake_storage",
            "local_storage",
            "fake_deploy",
        ])
        .env("DB_DRIVER", "faulty_db")
        .env("PADDOCK_CALL_DEADLINE_MS", "1500")
        .start();
    std::thread::scope(|s| {
        let runaway = s.spawn(|| {
            let started = Instant::now();
            let reply = d.call("db", "execute", json!({"sql": "UPDATE forever"}));
            (reply, started.elapsed())
        });
        // While it spins, other calls (of the same slot, too) are served.
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
        d.ok("storage", "list_containers", json!({}));
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "calls waited for the runaway one: {:?}",
            started.elapsed()
        );
        let (reply, took) = runaway.join().unwrap();
        let e = assert_error(&reply, 504, "timeout");
        assert_eq!(
            (e["slot"].as_str(), e["verb"].as_str()),
            (Some("db"), Some("execute"))
        );
        assert_contains(
            message(&e),
            &["driver 'faulty_db'", "1.5s", "deadline", "stopped"],
        );
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(15),
            "the call took {took:?}"
        );
    });
    let h = d.get("/health/db").expect_status(200).json();
    assert_eq!(h["status"], "healthy");
    assert_eq!(
        d.get("/health").expect_status(200).json()["status"],
        "healthy"
    );
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
    assert!(d.is_running(), "the daemon process died");
}

#[test]
fn metrics_count_calls_and_errors() {
    let d = Daemon::with_default_container();
    d.ok("db", "list_tables", json!({}));
    d.ok("db", "list_tables", json!({}));
    d.fail(
        "storage",
        "head",
        json!({"container": "default", "key": "x"}),
        404,
        "not-found",
    );
    let reply = d.get("/metrics").expect_status(200);
    let text = reply.text();
    let samples: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert!(!samples.is_empty());
    assert!(
        samples.iter().all(|l| l.starts_with("paddock_")),
        "a metric without the paddock_ prefix:\n{text}"
    );
    assert!(
        samples.iter().any(|l| l.contains("slot=\"db\"")
            && l.contains("verb=\"list-tables\"")
            && l.ends_with(" 2")),
        "no count of 2 db.list-tables calls:\n{text}"
    );
    assert!(
        samples
            .iter()
            .any(|l| l.contains("slot=\"storage\"") && l.contains("kind=\"not-found\"")),
        "no storage not-found error:\n{text}"
    );
}

/// A saturated slot refuses at once with `unavailable` and a retry-after,
/// instead of queueing without bound; other slots are not affected.
#[test]
fn a_saturated_slot_answers_unavailable_with_retry_after() {
    let d = Daemon::builder()
        .plugins(&["faulty_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("DB_DRIVER", "faulty_db")
        .env("PADDOCK_CALL_DEADLINE_MS", "1500")
        .env("PADDOCK_SLOT_CONCURRENCY", "1")
        .env("PADDOCK_SLOT_QUEUE", "0")
        .start();
    std::thread::scope(|s| {
        let busy = s.spawn(|| d.call("db", "execute", json!({"sql": "UPDATE forever"})));
        std::thread::sleep(Duration::from_millis(300));
        let reply = d.call("db", "list_tables", json!({}));
        let e = assert_error(&reply, 503, "unavailable");
        assert!(message(&e).contains("saturated"), "{e}");
        assert!(message(&e).contains("PADDOCK_SLOT_CONCURRENCY"), "{e}");
        assert_eq!(e["retry_after_ms"], 100, "{e}");
        assert!(reply.header("retry-after").is_some());
        d.ok("storage", "list_containers", json!({}));
        assert_error(&busy.join().unwrap(), 504, "timeout");
    });
    // The turn is free again.
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
}
