//! `paddock db copy`: 100k rows from one sqlite slot into another, created on
//! the target, counted on both sides, and idempotent when run again.

use paddock_integration::{CliOutput, cli, plugins_dir};
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> CliOutput {
    let data = dir.join(".paddock").display().to_string();
    let plugins = plugins_dir().display().to_string();
    cli(
        dir,
        args,
        &[("PADDOCK_DATA", &data), ("PADDOCK_PLUGINS", &plugins)],
    )
}

fn call(dir: &Path, slot: &str, verb: &str, json: &str) -> String {
    let out = run(dir, &["call", slot, verb, "--in-process", "--json", json]);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

#[test]
fn copies_100k_rows_between_slots_and_converges_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("paddock.toml"),
        "[slots.db]\ndriver = \"sqlite\"\n[slots.archive]\ndriver = \"sqlite\"\n",
    )
    .unwrap();
    call(
        d,
        "db",
        "create_table",
        r#"{"table": {"name": "items", "columns": [
            {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
            {"name": "name", "value_type": "text", "nullable": false, "primary_key": false},
            {"name": "price", "value_type": "float", "nullable": true, "primary_key": false}]}}"#,
    );
    call(
        d,
        "db",
        "execute",
        r#"{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) INSERT INTO items (id, name, price) SELECT x, 'item ' || x, x * 0.5 FROM c"}"#,
    );

    let out = run(
        d,
        &[
            "db", "copy", "--from", "db", "--to", "archive", "--batch", "5000",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("✓ items: 100000 rows copied (upsert); 100000 in db, 100000 in archive"),
        "{out:?}"
    );
    assert!(out.stderr.contains("every count matches"), "{out:?}");
    let rows = call(
        d,
        "archive",
        "query",
        r#"{"sql": "SELECT name, price FROM items WHERE id = 77777"}"#,
    );
    assert!(
        rows.contains("item 77777") && rows.contains("38888.5"),
        "{rows}"
    );

    // Again: upsert converges, nothing doubles.
    let out = run(
        d,
        &[
            "db", "copy", "--from", "db", "--to", "archive", "--tables", "items",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("100000 in archive"), "{out:?}");

    let out = run(
        d,
        &[
            "db", "copy", "--from", "db", "--to", "archive", "--tables", "nope",
        ],
    );
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("slot 'db' has no table 'nope'"),
        "{out:?}"
    );
}

/// WASI has no file locks: the sqlite driver declares itself serialized and
/// the host runs one call per slot at a time, so concurrent writers lose
/// nothing.
#[test]
fn concurrent_writers_on_the_default_sqlite_slot_lose_nothing() {
    let d = paddock_integration::Daemon::start();
    d.ok(
        "db",
        "execute",
        serde_json::json!({"sql": "CREATE TABLE hits (id INTEGER PRIMARY KEY, writer INTEGER)"}),
    );
    std::thread::scope(|s| {
        for writer in 0..8 {
            let d = &d;
            s.spawn(move || {
                for _ in 0..25 {
                    d.ok(
                        "db",
                        "execute",
                        serde_json::json!({"sql": "INSERT INTO hits (writer) VALUES ($1)",
                                           "params": [{"integer": writer}]}),
                    );
                }
            });
        }
    });
    let rs = d.ok(
        "db",
        "query",
        serde_json::json!({"sql": "SELECT COUNT(*), COUNT(DISTINCT writer) FROM hits"}),
    );
    assert_eq!(
        rs["rows"],
        serde_json::json!([[{"integer": 200}, {"integer": 8}]])
    );
    let integrity = d.ok(
        "db",
        "query",
        serde_json::json!({"sql": "PRAGMA integrity_check"}),
    );
    assert_eq!(integrity["rows"][0][0]["text"], "ok", "{integrity}");
}
