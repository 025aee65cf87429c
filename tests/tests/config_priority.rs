//! Which driver serves a slot: env `<SLOT>_DRIVER` > `DATABASE_TYPE` /
//! `DATABASE_URL` (db only) > `paddock.toml` > garage-mcp's
//! `config/drivers.toml` > built-in default, as the running daemon reports
//! it in `GET /v1/slots` and serves it.

use paddock_integration::{
    Daemon, DaemonBuilder, assert_contains, assert_error, cli, json, message, shared_data_dir,
};
use serde_json::Value;

/// Two db drivers to choose between (fake_db, faulty_db) and the other fakes.
fn with_two_db_drivers() -> DaemonBuilder {
    Daemon::builder().plugins(&[
        "fake_db",
        "sqlite_db",
        "faulty_db",
        "fake_storage",
        "local_storage",
        "fake_deploy",
    ])
}

#[track_caller]
fn assert_slot(d: &Daemon, slot: &str, driver: &str, source: &str) -> Value {
    let view = d.slot_view(slot);
    assert_eq!(view["driver"], driver, "{view}");
    let got = view["driver_source"].as_str().unwrap();
    assert!(
        got == source || (source.ends_with('(') && got.starts_with(source)),
        "driver_source of {slot} is {got:?}, expected {source:?}"
    );
    view
}

/// Whether `db` is really served by faulty_db (its list_tables is always empty
/// and its query traps) or by fake_db (which runs the SQL).
fn served_by_faulty(d: &Daemon) -> bool {
    match d.call("db", "query", json!({"sql": "SELECT 1"})).status {
        500 => true,
        200 => false,
        other => panic!("unexpected status {other}"),
    }
}

#[test]
fn built_in_defaults_without_any_config() {
    let d = Daemon::start();
    for (slot, driver) in [
        ("db", "sqlite"),
        ("storage", "local"),
        ("frontend", "fake_frontend"),
        ("backend", "fake_backend"),
    ] {
        let view = assert_slot(&d, slot, driver, "default");
        assert_eq!(view["status"], "ready");
    }
    let health = d.get("/health").expect_status(200).json();
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["slots"]["db"]["status"], "ready");
}

#[test]
fn paddock_toml_beats_the_default() {
    let d = with_two_db_drivers()
        .file("paddock.toml", "[slots.db]\ndriver = \"faulty_db\"\n")
        .start();
    let toml_path = d.workdir().join("paddock.toml");
    assert_slot(
        &d,
        "db",
        "faulty_db",
        &format!("paddock.toml ({})", toml_path.display()),
    );
    assert!(served_by_faulty(&d));
    let h = d.get("/health/database").expect_status(200).json();
    assert_eq!(h["driver"], "faulty_db");
    assert_slot(&d, "storage", "local", "default");
}

#[test]
fn env_slot_driver_beats_paddock_toml() {
    let d = with_two_db_drivers()
        .file("paddock.toml", "[slots.db]\ndriver = \"faulty_db\"\n")
        .env("DB_DRIVER", "fake_db")
        .start();
    assert_slot(&d, "db", "fake_db", "env DB_DRIVER");
    assert!(!served_by_faulty(&d));
}

#[test]
fn garage_mcp_drivers_toml_is_honoured() {
    let d = with_two_db_drivers()
        .file(
            "config/drivers.toml",
            r#"
[database]
driver = "faulty_db"

[database.drivers.faulty_db]
description = "A driver that misbehaves"
required_env = []

[database.drivers.planetscale]
description = "PlanetScale serverless MySQL"
required_env = ["PLANETSCALE_TOKEN"]

[storage]
driver = "fake_storage"

[frontend]
driver = "fake_frontend"

[backend]
driver = "fake_backend"
"#,
        )
        .start();
    let view = assert_slot(&d, "db", "faulty_db", "drivers.toml (");
    assert!(
        view["driver_source"]
            .as_str()
            .unwrap()
            .ends_with("config/drivers.toml)"),
        "{view}"
    );
    assert_eq!(
        view["status"], "ready",
        "an unused catalogue entry's required_env is not needed"
    );
    assert!(served_by_faulty(&d));
    assert_slot(&d, "storage", "fake_storage", "drivers.toml (");
    assert_slot(&d, "frontend", "fake_frontend", "drivers.toml (");
    assert_slot(&d, "backend", "fake_backend", "drivers.toml (");
}

#[test]
fn paddock_toml_beats_drivers_toml_and_env_beats_both() {
    let files = |b: DaemonBuilder| {
        b.file(
            "config/drivers.toml",
            "[database]\ndriver = \"faulty_db\"\n",
        )
        .file("paddock.toml", "[slots.database]\ndriver = \"fake_db\"\n")
    };
    let d = files(with_two_db_drivers()).start();
    assert_slot(&d, "db", "fake_db", "paddock.toml (");
    assert!(!served_by_faulty(&d));
    drop(d);

    let d = files(with_two_db_drivers())
        .env("DB_DRIVER", "faulty_db")
        .start();
    assert_slot(&d, "db", "faulty_db", "env DB_DRIVER");
}

#[test]
fn dot_env_file_is_read_and_the_process_environment_wins() {
    let d = with_two_db_drivers()
        .file(".env", "# chosen in .env\nDB_DRIVER=faulty_db\n")
        .start();
    assert_slot(&d, "db", "faulty_db", "env DB_DRIVER");
    drop(d);
    let d = with_two_db_drivers()
        .file(".env", "DB_DRIVER=faulty_db\n")
        .env("DB_DRIVER", "fake_db")
        .start();
    assert_slot(&d, "db", "fake_db", "env DB_DRIVER");
}

#[test]
fn each_builtin_slot_has_its_env_var() {
    let d = Daemon::builder()
        .env("STORAGE_DRIVER", "fake_storage")
        .env("FRONTEND_DRIVER", "fake_frontend")
        .env("BACKEND_DRIVER", "fake_backend")
        .env("DB_DRIVER", "fake_db")
        .start();
    assert_slot(&d, "db", "fake_db", "env DB_DRIVER");
    assert_slot(&d, "storage", "fake_storage", "env STORAGE_DRIVER");
    assert_slot(&d, "frontend", "fake_frontend", "env FRONTEND_DRIVER");
    assert_slot(&d, "backend", "fake_backend", "env BACKEND_DRIVER");
    assert_eq!(
        d.get("/health/backend").expect_status(200).json()["driver"],
        "fake_backend"
    );
}

#[test]
fn interpolation_and_custom_slots_in_paddock_toml() {
    let d = with_two_db_drivers()
        .file(
            "paddock.toml",
            r#"
[slots.db]
driver = "${MY_DB_DRIVER:-fake_db}"

[slots.analytics-db]
driver = "fake_db"

[slots.archive]
driver = "fake_storage"
"#,
        )
        .env("MY_DB_DRIVER", "faulty_db")
        .env("ARCHIVE_DRIVER", "fake_storage")
        .start();
    assert_slot(&d, "db", "faulty_db", "paddock.toml (");
    let view = assert_slot(&d, "analytics-db", "fake_db", "paddock.toml (");
    assert_eq!(view["domain"], "db");
    assert_slot(&d, "archive", "fake_storage", "env ARCHIVE_DRIVER");
    // A custom slot has its own state.
    d.ok(
        "analytics-db",
        "execute",
        json!({"sql": "CREATE TABLE events (id INTEGER PRIMARY KEY)"}),
    );
    assert_eq!(
        d.ok("analytics-db", "list_tables", json!({}))[0]["name"],
        "events"
    );
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
    d.ok(
        "archive",
        "put",
        json!({"container": "default", "key": "k", "body": "v"}),
    );
    d.fail(
        "storage",
        "head",
        json!({"container": "default", "key": "k"}),
        404,
        "not-found",
    );
}

/// A db slot whose detected driver is not installed: the slot reports the
/// load error in the users' words, and calls get `driver-unavailable`.
#[track_caller]
fn assert_db_driver_missing(d: &Daemon, driver: &str) {
    let view = d.slot_view("db");
    assert_eq!(view["driver"], driver);
    assert_eq!(view["status"], "error");
    let expected = format!(
        "Failed to load database driver '{driver}': no driver named '{driver}' in {} (available for db: fake_db)",
        d.plugins_dir().display()
    );
    assert_eq!(view["error"], expected.as_str(), "{view}");

    let reply = d.get("/health/db");
    assert_eq!(reply.status, 503, "{reply:?}");
    let h = reply.json();
    assert_eq!(h["status"], "unhealthy");
    assert_eq!(h["slot"], "db");
    assert_eq!(h["driver"], driver);
    assert_eq!(h["error"]["kind"], "driver-unavailable");
    assert_eq!(h["error"]["message"], expected.as_str());

    let reply = d.call("db", "query", json!({"sql": "SELECT 1"}));
    let e = assert_error(&reply, 503, "driver-unavailable");
    assert_eq!(message(&e), expected);
    assert!(reply.header("retry-after").is_some(), "{reply:?}");

    let health = d.get("/health").expect_status(200).json();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["slots"]["db"]["status"], "error");
    assert_eq!(health["slots"]["storage"]["status"], "ready");
    // The other slots still serve.
    d.ok("storage", "list_containers", json!({}));
}

#[test]
fn database_url_sqlite_selects_sqlite_on_that_file() {
    let d = Daemon::builder()
        .env("DATABASE_URL", "sqlite:./data/app.db")
        .file("data/README", "the database lives here\n")
        .start();
    let view = assert_slot(&d, "db", "sqlite", "DATABASE_URL (sqlite:./data/app.db)");
    assert_eq!(view["status"], "ready", "{view}");
    d.ok(
        "db",
        "execute",
        json!({"sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY)"}),
    );
    assert!(d.workdir().join("data/app.db").is_file());
}

/// Only the fakes: no real db driver is installed.
fn fakes_only() -> DaemonBuilder {
    Daemon::builder().plugins(&["fake_db", "fake_storage", "local_storage", "fake_deploy"])
}

#[test]
fn database_url_postgres_selects_postgres_without_showing_the_password() {
    for url in [
        "postgres://app:hunter2@db.example.com:5432/app",
        "postgresql://app:hunter2@db.example.com:5432/app",
    ] {
        let d = fakes_only().env("DATABASE_URL", url).start();
        let scheme = url.split("://").next().unwrap();
        assert_slot(
            &d,
            "db",
            "postgres",
            &format!("DATABASE_URL ({scheme}://***@db.example.com:5432/app)"),
        );
        assert_db_driver_missing(&d, "postgres");
        for path in ["/v1/slots", "/health", "/health/db"] {
            let text = d.get(path).text();
            assert!(
                !text.contains("hunter2"),
                "{path} shows the password: {text}"
            );
        }
        assert!(
            !d.stderr().contains("hunter2"),
            "the log shows the password:\n{}",
            d.stderr()
        );
    }
}

#[test]
fn database_type_supabase_selects_supabase_before_database_url() {
    let d = fakes_only()
        .env("DATABASE_TYPE", "supabase")
        .env("DATABASE_URL", "sqlite:./app.db")
        .start();
    assert_slot(&d, "db", "supabase", "DATABASE_TYPE=supabase");
    assert_db_driver_missing(&d, "supabase");
    drop(d);
    let d = fakes_only().env("DATABASE_TYPE", "postgresql").start();
    assert_slot(&d, "db", "postgres", "DATABASE_TYPE=postgresql");
}

#[test]
fn db_driver_beats_database_url_which_beats_paddock_toml() {
    let d = Daemon::builder()
        .env("DB_DRIVER", "fake_db")
        .env("DATABASE_URL", "postgres://u:p@h/db")
        .start();
    assert_slot(&d, "db", "fake_db", "env DB_DRIVER");
    assert_eq!(d.slot_view("db")["status"], "ready");
    drop(d);
    let d = Daemon::builder()
        .file("paddock.toml", "[slots.db]\ndriver = \"fake_db\"\n")
        .env("DATABASE_URL", "sqlite:app.db")
        .start();
    assert_slot(&d, "db", "sqlite", "DATABASE_URL (sqlite:app.db)");
}

#[test]
fn unsupported_database_url_scheme_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = shared_data_dir().display().to_string();
    let out = cli(
        dir.path(),
        &["check", "--data", &data],
        &[("DATABASE_URL", "mysql://root:hunter2@db.example.com/app")],
    );
    assert_eq!(out.code, 3, "{out:?}");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_contains(&all, &["unsupported DATABASE_URL scheme `mysql`"]);
    assert!(!all.contains("hunter2"), "{out:?}");
    let out = cli(
        dir.path(),
        &["check", "--data", &data],
        &[("DATABASE_TYPE", "oracle")],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_contains(&format!("{}{}", out.stdout, out.stderr), &["`oracle`"]);
}
