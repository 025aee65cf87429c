//! Every verb of `fake_deploy` through the real daemon, on both deploy
//! slots (`frontend` → `fake_frontend`, `backend` → `fake_backend`):
//! builds that advance on each `get`, listing, cancel, promote, rollback,
//! logs and environment variables.

use paddock_integration::{Daemon, assert_contains, json, message};
use serde_json::Value;

fn git() -> Value {
    json!({"git": {"repository": "https://github.com/acme/web", "reference": "main"}})
}

fn create(d: &Daemon, slot: &str, project: &str, production: bool) -> Value {
    d.ok(
        slot,
        "create",
        json!({"request": {"project": project, "source": git(), "production": production}}),
    )
}

/// `get` until the deployment settles; returns it.
fn settle(d: &Daemon, slot: &str, id: &str) -> Value {
    for _ in 0..5 {
        let dep = d.ok(slot, "get", json!({"id": id}));
        if !["queued", "building"].contains(&dep["state"].as_str().unwrap()) {
            return dep;
        }
    }
    panic!("{id} did not settle");
}

fn ids(page: &Value) -> Vec<String> {
    page["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn create_then_get_advances_to_ready_on_both_slots() {
    let d = Daemon::start();
    for (slot, driver) in [("frontend", "fake_frontend"), ("backend", "fake_backend")] {
        let h = d.get(&format!("/health/{slot}")).expect_status(200).json();
        assert_eq!(
            (h["status"].as_str(), h["driver"].as_str()),
            (Some("healthy"), Some(driver))
        );

        // Each slot keeps its own deployments: both start at dpl_1.
        let dep = create(&d, slot, "web", false);
        assert_eq!(dep["id"], "dpl_1", "{slot}");
        assert_eq!(dep["project"], "web");
        assert_eq!(dep["state"], "queued");
        assert_eq!(dep["url"], Value::Null);
        assert_eq!(dep["production"], false);
        assert_eq!(dep["created_at"], dep["updated_at"]);
        assert!(dep["created_at"].as_str().unwrap().ends_with('Z'));

        let dep = d.ok(slot, "get", json!({"id": "dpl_1"}));
        assert_eq!(dep["state"], "building");
        assert_eq!(dep["url"], Value::Null);
        let dep = d.ok(slot, "get", json!({"id": "dpl_1"}));
        assert_eq!(dep["state"], "ready");
        assert_eq!(dep["url"], "https://web-dpl-1.fake.paddock.local");
        assert_eq!(dep["production"], false, "a preview stays a preview");
        let again = d.ok(slot, "get", json!({"id": "dpl_1"}));
        assert_eq!(again["state"], "ready", "ready is settled");

        // A production build is production while on its way, and once ready.
        let prod = create(&d, slot, "web", true);
        assert_eq!(
            (prod["id"].as_str(), prod["production"].as_bool()),
            (Some("dpl_2"), Some(true))
        );
        let prod = settle(&d, slot, "dpl_2");
        assert_eq!(prod["state"], "ready");
        assert_eq!(prod["production"], true);
        assert_eq!(prod["url"], "https://web-dpl-2.fake.paddock.local");

        let e = d.fail(slot, "get", json!({"id": "dpl_99"}), 404, "not-found");
        assert_contains(message(&e), &["dpl_99"]);
        let e = d.fail(
            slot,
            "create",
            json!({"request": {"project": "Bad Name", "source": git()}}),
            400,
            "invalid-input",
        );
        assert_contains(message(&e), &["project name 'Bad Name'"]);
        let e = d.fail(
            slot,
            "create",
            json!({"request": {"project": "web", "source": {"image": ""}}}),
            400,
            "invalid-input",
        );
        assert_contains(message(&e), &["image"]);
        let report = d.ok(slot, "health", json!({}));
        assert_eq!(report["details"]["deployments"], "2");
    }
}

#[test]
fn list_newest_first_with_project_filter_and_pages() {
    let d = Daemon::start();
    for project in ["web", "api", "web", "api", "web"] {
        create(&d, "frontend", project, false);
    }
    let all = d.ok("frontend", "list", json!({}));
    assert_eq!(ids(&all), ["dpl_5", "dpl_4", "dpl_3", "dpl_2", "dpl_1"]);
    assert_eq!(all["next_cursor"], Value::Null);
    let web = d.ok("frontend", "list", json!({"project": "web"}));
    assert_eq!(ids(&web), ["dpl_5", "dpl_3", "dpl_1"]);
    assert!(
        web["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["project"] == "web")
    );

    let (mut seen, mut cursor, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let page = d.ok("frontend", "list", json!({"limit": 2, "cursor": cursor}));
        pages += 1;
        seen.extend(ids(&page));
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(seen, ["dpl_5", "dpl_4", "dpl_3", "dpl_2", "dpl_1"]);
    assert_eq!(pages, 3);

    // The other deploy slot has none of these.
    assert_eq!(
        ids(&d.ok("backend", "list", json!({}))),
        Vec::<String>::new()
    );
    d.fail(
        "frontend",
        "list",
        json!({"limit": 0}),
        400,
        "invalid-input",
    );
    let e = d.fail(
        "frontend",
        "list",
        json!({"cursor": "zzz"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cursor 'zzz'"]);
}

#[test]
fn cancel() {
    let d = Daemon::start();
    create(&d, "backend", "api", false);
    let dep = d.ok("backend", "cancel", json!({"id": "dpl_1"}));
    assert_eq!(dep["state"], "canceled");
    assert_eq!(dep["message"], "canceled by request");
    let dep = d.ok("backend", "get", json!({"id": "dpl_1"}));
    assert_eq!(
        dep["state"], "canceled",
        "a canceled build does not advance"
    );
    let e = d.fail("backend", "cancel", json!({"id": "dpl_1"}), 409, "conflict");
    assert_contains(message(&e), &["canceled", "only queued or building"]);

    // While building, too; once ready, not any more.
    create(&d, "backend", "api", false);
    assert_eq!(
        d.ok("backend", "get", json!({"id": "dpl_2"}))["state"],
        "building"
    );
    assert_eq!(
        d.ok("backend", "cancel", json!({"id": "dpl_2"}))["state"],
        "canceled"
    );
    create(&d, "backend", "api", false);
    settle(&d, "backend", "dpl_3");
    let e = d.fail("backend", "cancel", json!({"id": "dpl_3"}), 409, "conflict");
    assert_contains(message(&e), &["ready"]);
    d.fail(
        "backend",
        "cancel",
        json!({"id": "dpl_9"}),
        404,
        "not-found",
    );
}

#[test]
fn promote_and_rollback() {
    let d = Daemon::start();
    let slot = "backend";
    // a: production; b: a ready preview.
    create(&d, slot, "api", true);
    assert_eq!(settle(&d, slot, "dpl_1")["production"], true);
    create(&d, slot, "api", false);
    assert_eq!(settle(&d, slot, "dpl_2")["production"], false);

    let b = d.ok(slot, "promote", json!({"id": "dpl_2"}));
    assert_eq!(
        (b["state"].as_str(), b["production"].as_bool()),
        (Some("ready"), Some(true))
    );
    assert_eq!(
        d.ok(slot, "get", json!({"id": "dpl_1"}))["production"],
        false
    );

    // Back to the one before.
    let a = d.ok(slot, "rollback", json!({"project": "api"}));
    assert_eq!(
        (a["id"].as_str(), a["production"].as_bool()),
        (Some("dpl_1"), Some(true))
    );
    assert_eq!(
        d.ok(slot, "get", json!({"id": "dpl_2"}))["production"],
        false
    );
    let e = d.fail(slot, "rollback", json!({"project": "api"}), 409, "conflict");
    assert_contains(message(&e), &["no earlier production deployment"]);

    // To a named one.
    let b = d.ok(slot, "rollback", json!({"project": "api", "to": "dpl_2"}));
    assert_eq!(
        (b["id"].as_str(), b["production"].as_bool()),
        (Some("dpl_2"), Some(true))
    );
    let a = d.ok(slot, "rollback", json!({"project": "api"}));
    assert_eq!(a["id"], "dpl_1");

    // What cannot be promoted or rolled back to.
    create(&d, slot, "api", false);
    let e = d.fail(slot, "promote", json!({"id": "dpl_3"}), 409, "conflict");
    assert_contains(message(&e), &["queued", "not ready"]);
    let e = d.fail(
        slot,
        "rollback",
        json!({"project": "api", "to": "dpl_3"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["only a ready deployment"]);
    create(&d, slot, "other", false);
    settle(&d, slot, "dpl_4");
    let e = d.fail(
        slot,
        "rollback",
        json!({"project": "api", "to": "dpl_4"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["belongs to project 'other'"]);
    let e = d.fail(
        slot,
        "rollback",
        json!({"project": "nothing"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["'nothing' has no deployments"]);
    d.fail(slot, "promote", json!({"id": "dpl_77"}), 404, "not-found");

    // The frontend slot never saw any of it.
    d.fail(
        "frontend",
        "rollback",
        json!({"project": "api"}),
        404,
        "not-found",
    );
}

fn log_messages(page: &Value) -> Vec<String> {
    page["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert!(l["timestamp"].as_str().unwrap().ends_with('Z'));
            l["message"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn logs_with_pages() {
    let d = Daemon::start();
    let dep = d.ok(
        "frontend",
        "create",
        json!({"request": {
            "project": "web",
            "source": git(),
            "env": {"API_TOKEN": "tok-very-secret", "MODE": "prod"},
            "labels": {"team": "growth"},
            "production": true,
        }}),
    );
    assert_eq!(dep["id"], "dpl_1");
    settle(&d, "frontend", "dpl_1");
    let page = d.ok("frontend", "logs", json!({"id": "dpl_1"}));
    let lines = log_messages(&page);
    assert_eq!(
        lines,
        [
            "dpl_1 of project web queued (production)",
            "source: git https://github.com/acme/web at main",
            "env: API_TOKEN, MODE (values not logged)",
            "labels: team=growth",
            "build started",
            "build finished; deployment is ready",
            "now the production deployment of web (production build ready)",
        ]
    );
    assert_eq!(page["next_cursor"], Value::Null);
    assert!(!page.to_string().contains("tok-very-secret"));

    let (mut all, mut cursor, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let page = d.ok(
            "frontend",
            "logs",
            json!({"id": "dpl_1", "limit": 3, "cursor": cursor}),
        );
        pages += 1;
        let here = log_messages(&page);
        assert!(here.len() <= 3);
        all.extend(here);
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(all, lines);
    assert_eq!(pages, 3);

    // A folder source is recorded in the log.
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("index.html"), "<h1>hi</h1>").unwrap();
    let dep = d.ok(
        "frontend",
        "create",
        json!({"request": {"project": "site", "source": {"folder": folder.path().display().to_string()}}}),
    );
    let lines = log_messages(&d.ok("frontend", "logs", json!({"id": dep["id"]})));
    // The host lends the folder read-only at /source; the driver reads it there.
    assert_eq!(
        lines[1], "source: folder /source (1 files, 11 bytes)",
        "{lines:?}"
    );
    assert_eq!(lines[0], "dpl_2 of project site queued (preview)");

    d.fail("frontend", "logs", json!({"id": "dpl_9"}), 404, "not-found");
    let e = d.fail(
        "frontend",
        "logs",
        json!({"id": "dpl_1", "cursor": "dpl_2:1"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cursor"]);
}

#[test]
fn env_vars_set_list_without_values_and_unset() {
    let d = Daemon::start();
    let slot = "frontend";
    assert_eq!(
        d.ok(
            slot,
            "set_env",
            json!({"project": "web", "vars": {"API_KEY": "s3cr3t-value", "MODE": "prod"}}),
        ),
        Value::Null
    );
    d.ok(
        slot,
        "set_env",
        json!({"project": "api", "vars": [["OTHER", "1"]]}),
    );
    let reply = d
        .call(slot, "list_env", json!({"project": "web"}))
        .expect_status(200);
    assert!(
        !reply.text().contains("s3cr3t"),
        "values are never read back: {reply:?}"
    );
    let vars = reply.json();
    let names: Vec<&str> = vars
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert!(v["updated_at"].as_str().unwrap().ends_with('Z'));
            assert_eq!(
                v.as_object().unwrap().len(),
                2,
                "only name and updated_at: {v}"
            );
            v["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, ["API_KEY", "MODE"]);

    assert_eq!(
        d.ok(
            slot,
            "unset_env",
            json!({"project": "web", "names": ["MODE"]})
        ),
        Value::Null
    );
    let vars = d.ok(slot, "list-env", json!({"project": "web"}));
    assert_eq!(vars.as_array().unwrap().len(), 1);
    assert_eq!(vars[0]["name"], "API_KEY");
    let e = d.fail(
        slot,
        "unset_env",
        json!({"project": "web", "names": ["MODE", "NOPE"]}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["NOPE"]);
    assert_eq!(
        d.ok(slot, "list_env", json!({"project": "api"}))[0]["name"],
        "OTHER"
    );
    assert_eq!(
        d.ok("backend", "list_env", json!({"project": "web"})),
        json!([])
    );

    let e = d.fail(
        slot,
        "set_env",
        json!({"project": "web", "vars": {"1BAD": "x"}}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["'1BAD'"]);
    let e = d.fail(
        slot,
        "set_env",
        json!({"project": "web", "vars": {"HUGE": "x".repeat(70 * 1024)}}),
        429,
        "quota-exceeded",
    );
    assert_contains(message(&e), &["HUGE", "limit"]);

    // The project's FAKE_FAIL=1 makes its builds fail; the request's own env wins.
    d.ok(
        slot,
        "set_env",
        json!({"project": "web", "vars": {"FAKE_FAIL": "1"}}),
    );
    let failing = create(&d, slot, "web", false);
    let dep = settle(&d, slot, failing["id"].as_str().unwrap());
    assert_eq!(dep["state"], "error");
    assert_contains(dep["message"].as_str().unwrap(), &["FAKE_FAIL=1"]);
    assert_eq!(dep["url"], Value::Null);
    let ok = d.ok(
        slot,
        "create",
        json!({"request": {"project": "web", "source": git(), "env": {"FAKE_FAIL": "0"}}}),
    );
    assert_eq!(
        settle(&d, slot, ok["id"].as_str().unwrap())["state"],
        "ready"
    );
}

/// The host lends the caller's folder read-only for `create` and passes the
/// path under which the driver sees it.
#[test]
fn folder_source_is_lent_to_the_driver() {
    let d = Daemon::start();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("index.html"), "<h1>hi</h1>").unwrap();
    std::fs::create_dir(folder.path().join("css")).unwrap();
    std::fs::write(folder.path().join("css/site.css"), "h1{}").unwrap();
    let dep = d.ok(
        "frontend",
        "create",
        json!({"request": {"project": "site", "source": {"folder": folder.path().display().to_string()}}}),
    );
    let lines = log_messages(&d.ok("frontend", "logs", json!({"id": dep["id"]})));
    assert!(lines[1].ends_with("(2 files, 15 bytes)"), "{lines:?}");
}
