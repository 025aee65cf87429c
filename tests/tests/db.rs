//! Every verb of `fake_db` through the real daemon: tables, batch reads and
//! writes in each mode, SQL through query/execute with typed values,
//! migrations from a folder, branches.

use paddock_integration::{Daemon, assert_contains, json, message};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A daemon whose db slot is `fake_db` (the default is sqlite, which the
/// conformance kit and its own tests cover).
fn fake_db() -> Daemon {
    Daemon::builder().env("DB_DRIVER", "fake_db").start()
}

fn people_table() -> Value {
    json!({"table": {"name": "people", "columns": [
        {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
        {"name": "email", "value_type": "text", "nullable": false, "primary_key": false},
        {"name": "score", "value_type": "float", "nullable": true, "primary_key": false},
    ]}})
}

fn person(id: i64, email: &str, score: f64) -> Value {
    json!([{"integer": id}, {"text": email}, {"float": score}])
}

/// Every row of a table, in order, through read_rows.
fn all_rows(d: &Daemon, table: &str) -> Vec<Value> {
    let batch = d.ok("db", "read_rows", json!({"table": table}));
    assert_eq!(batch["next_cursor"], Value::Null);
    batch["rows"].as_array().unwrap().clone()
}

#[test]
fn tables_and_batch_writes_in_every_mode() {
    let d = fake_db();
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
    assert_eq!(d.ok("db", "create_table", people_table()), Value::Null);
    let e = d.fail("db", "create_table", people_table(), 409, "already-exists");
    assert_contains(message(&e), &["people"]);
    let tables = d.ok("db", "list_tables", json!({}));
    assert_eq!(
        tables,
        json!([{"name": "people", "columns": [
            {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
            {"name": "email", "value_type": "text", "nullable": false, "primary_key": false},
            {"name": "score", "value_type": "float", "nullable": true, "primary_key": false},
        ]}])
    );

    let cols = json!(["id", "email", "score"]);
    let rows: Vec<Value> = (1..=5)
        .map(|i| person(i, &format!("p{i}@x"), i as f64 / 2.0))
        .collect();
    let w = d.ok(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols, "rows": rows, "mode": "append"}),
    );
    assert_eq!(w["rows_written"], 5);

    // Batches of two, following the cursor, then a column subset.
    let (mut ids, mut cursor, mut batches) = (Vec::new(), Value::Null, 0);
    loop {
        let b = d.ok(
            "db",
            "read_rows",
            json!({"table": "people", "columns": ["id"], "cursor": cursor, "limit": 2}),
        );
        batches += 1;
        assert_eq!(b["columns"].as_array().unwrap().len(), 1);
        assert_eq!(b["columns"][0]["name"], "id");
        assert_eq!(b["columns"][0]["value_type"], "integer");
        assert_eq!(b["rows_read"], b["rows"].as_array().unwrap().len());
        for r in b["rows"].as_array().unwrap() {
            ids.push(r[0]["integer"].as_i64().unwrap());
        }
        cursor = b["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(batches, 3);
    let b = d.ok(
        "db",
        "read_rows",
        json!({"table": "people", "columns": ["email", "score"], "limit": 1}),
    );
    assert_eq!(b["rows"], json!([[{"text": "p1@x"}, {"float": 0.5}]]));
    assert!(b["next_cursor"].is_string());

    // Append with a key collision fails as a whole: row 6 does not land either.
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols,
               "rows": [person(6, "p6@x", 3.0), person(1, "dup@x", 0.0)], "mode": "append"}),
        409,
        "conflict",
    );
    assert!(!message(&e).is_empty());
    assert_eq!(all_rows(&d, "people").len(), 5);

    // Upsert by primary key: 2 changes, 7 is new.
    let w = d.ok(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols,
               "rows": [person(2, "two@x", 20.0), person(7, "p7@x", 7.0)],
               "mode": "upsert", "key_columns": ["id"]}),
    );
    assert_eq!(w["rows_written"], 2);
    let rows = all_rows(&d, "people");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[1], person(2, "two@x", 20.0));
    assert_eq!(rows[5], person(7, "p7@x", 7.0));

    // Upsert by another column, changing only the columns given.
    d.ok(
        "db",
        "write_rows",
        json!({"table": "people", "columns": ["email", "score"],
               "rows": [[{"text": "p3@x"}, {"float": 33.0}]],
               "mode": "upsert", "key_columns": ["email"]}),
    );
    assert_eq!(all_rows(&d, "people")[2], person(3, "p3@x", 33.0));
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols, "rows": [], "mode": "upsert"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["key-columns"]);

    // Overwrite empties the table first.
    let w = d.ok(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols,
               "rows": [person(100, "only@x", 1.0)], "mode": "overwrite"}),
    );
    assert_eq!(w["rows_written"], 1);
    assert_eq!(all_rows(&d, "people"), [person(100, "only@x", 1.0)]);

    // Bad writes say what is wrong.
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": ["id", "nope"], "rows": [], "mode": "append"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["no column 'nope'"]);
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols,
               "rows": [[{"text": "x"}, {"text": "y"}, "null"]], "mode": "append"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cannot hold text 'x'"]);
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "ghosts", "columns": ["a"], "rows": [], "mode": "append"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["ghosts"]);
    let e = d.fail(
        "db",
        "read_rows",
        json!({"table": "people", "cursor": "1@other"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cursor"]);
}

#[test]
fn query_and_execute_with_typed_values() {
    let d = fake_db();
    let r = d.ok(
        "db",
        "execute",
        json!({"sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
                price REAL, active BOOLEAN DEFAULT TRUE, data BLOB, doc JSON, at TIMESTAMP)"}),
    );
    assert_eq!(r["rows_affected"], 0);
    let r = d.ok(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name, price, active, data, doc, at) VALUES (?, ?, ?, ?, ?, ?)",
               "params": [
                   {"text": "apple"}, {"float": 1.25}, {"boolean": false},
                   {"bytes": "AAEC/w=="}, {"json": "{\"tags\":[\"red\"]}"},
                   {"timestamp": "2024-05-01T12:00:00Z"}
               ]}),
    );
    assert_eq!(r["rows_affected"], 1);
    let r = d.ok(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name, price, active, data, doc, at) VALUES ($1, 2, $2, $3, $4, $5), ($1, 3, $2, $3, $4, $5)",
               "params": [
                   {"text": "apple"}, {"boolean": true}, {"bytes": ""},
                   {"json": "[]"}, {"timestamp": "2024-05-02T00:00:00Z"}
               ]}),
    );
    assert_eq!(r["rows_affected"], 2);

    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT id, name, price, active, data, doc, at FROM items WHERE id = ?",
               "params": [{"integer": 1}]}),
    );
    assert_eq!(
        rs["rows"],
        json!([[
            {"integer": 1}, {"text": "apple"}, {"float": 1.25}, {"boolean": false},
            {"bytes": "AAEC/w=="}, {"json": "{\"tags\":[\"red\"]}"},
            {"timestamp": "2024-05-01T12:00:00Z"}
        ]])
    );
    let types: Vec<&str> = rs["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "integer",
            "text",
            "float",
            "boolean",
            "bytes",
            "json",
            "timestamp"
        ]
    );
    assert_eq!(rs["columns"][2]["type_name"], "REAL");
    // fake_db counts the rows it scanned (3), not the rows it answered.
    assert!(rs["rows_read"].as_u64().unwrap() >= 1, "{rs}");

    // $1 is used twice; the literal 2 became a float in a REAL column.
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT name, price, active, data FROM items WHERE id = 2"}),
    );
    assert_eq!(
        rs["rows"],
        json!([[{"text": "apple"}, {"float": 2.0}, {"boolean": true}, {"bytes": ""}]])
    );

    // NULL and defaults.
    d.ok(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name, price) VALUES ('pear', ?)", "params": ["null"]}),
    );
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT price, active FROM items WHERE name = 'pear'"}),
    );
    assert_eq!(rs["rows"], json!([["null", {"boolean": true}]]));

    let r = d.ok(
        "db",
        "execute",
        json!({"sql": "UPDATE items SET price = ? WHERE name = ?", "params": [{"float": 9.5}, {"text": "apple"}]}),
    );
    assert_eq!(r["rows_affected"], 3);
    let rs = d.ok("db", "query", json!({"sql": "SELECT COUNT(*) FROM items"}));
    assert_eq!(rs["rows"], json!([[{"integer": 4}]]));
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT COUNT(*) FROM items WHERE price = 9.5"}),
    );
    assert_eq!(rs["rows"], json!([[{"integer": 3}]]));
    let r = d.ok(
        "db",
        "execute",
        json!({"sql": "DELETE FROM items WHERE name = 'pear'"}),
    );
    assert_eq!(r["rows_affected"], 1);
    let rs = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT name FROM items LIMIT 1"}),
    );
    assert_eq!(rs["rows"].as_array().unwrap().len(), 1);

    // query is read-only; writes are refused and change nothing.
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "INSERT INTO items (name) VALUES ('sneaky')"}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &["read-only"]);
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "DELETE FROM items"}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &["execute"]);
    let rs = d.ok("db", "query", json!({"sql": "SELECT COUNT(*) FROM items"}));
    assert_eq!(rs["rows"], json!([[{"integer": 3}]]));

    // SQL outside the fake's subset, bad SQL, wrong parameter counts, missing tables.
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT name FROM items ORDER BY name"}),
        501,
        "unsupported",
    );
    assert_contains(message(&e), &["subset"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name) VALUES ('unterminated)"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["SQL syntax error"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name) VALUES (?)"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["1 parameter(s) but 0 value(s)"]);
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT * FROM nowhere"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["nowhere"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "INSERT INTO items (name) VALUES (?)", "params": [{"integer": 5}]}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["column 'name'", "cannot hold integer 5"]);
}

fn write_migration(dir: &std::path::Path, file: &str, sql: &str) {
    std::fs::write(dir.join(file), sql).unwrap();
}

fn states(report: &Value) -> Vec<(u64, String, String)> {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["version"].as_u64().unwrap(),
                m["name"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn s(v: u64, name: &str, state: &str) -> (u64, String, String) {
    (v, name.to_string(), state.to_string())
}

#[test]
fn migrate_dry_run_target_and_changed_checksum() {
    let d = fake_db();
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    write_migration(
        m,
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    );
    write_migration(
        m,
        "0002_seed.sql",
        "INSERT INTO users (email) VALUES ('root@x');\nCREATE INDEX users_email ON users (email);\n",
    );
    write_migration(
        m,
        "0003_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);",
    );
    std::fs::write(m.join("README.md"), "not a migration").unwrap();
    let dir_arg = m.display().to_string();

    // Dry run: everything pending, nothing applied.
    let r = d.ok("db", "migrate", json!({"dir": dir_arg, "dry_run": true}));
    assert_eq!(
        states(&r),
        [
            s(1, "users", "pending"),
            s(2, "seed", "pending"),
            s(3, "posts", "pending")
        ]
    );
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["current_version"], Value::Null);
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));

    // Up to version 2.
    let r = d.ok("db", "migrate", json!({"dir": dir_arg, "target": 2}));
    assert_eq!(
        states(&r),
        [
            s(1, "users", "applied-now"),
            s(2, "seed", "applied-now"),
            s(3, "posts", "skipped")
        ]
    );
    assert_eq!(r["current_version"], 2);
    assert_eq!(r["dry_run"], false);
    let rs = d.ok("db", "query", json!({"sql": "SELECT email FROM users"}));
    assert_eq!(rs["rows"], json!([[{"text": "root@x"}]]));
    let health = d.ok("db", "health", json!({}));
    assert_eq!(health["details"]["migration_version"], "2");

    // The rest; the applied ones are not re-run (the seed row stays single).
    let r = d.ok("db", "migrate", json!({"dir": dir_arg}));
    assert_eq!(
        states(&r),
        [
            s(1, "users", "applied"),
            s(2, "seed", "applied"),
            s(3, "posts", "applied-now")
        ]
    );
    assert_eq!(r["current_version"], 3);
    let rs = d.ok("db", "query", json!({"sql": "SELECT COUNT(*) FROM users"}));
    assert_eq!(rs["rows"], json!([[{"integer": 1}]]));

    // A changed, already applied file is reported, never re-run.
    let changed = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);\n";
    write_migration(m, "0001_users.sql", changed);
    write_migration(m, "0004_tags.sql", "CREATE TABLE tags (name TEXT);");
    let e = d.fail("db", "migrate", json!({"dir": dir_arg}), 409, "conflict");
    let new_sum = hex::encode(Sha256::digest(changed.as_bytes()));
    assert_contains(
        message(&e),
        &[
            "migration 1 ('users')",
            "checksum",
            &new_sum,
            "never re-run",
        ],
    );
    let tables = d.ok("db", "list_tables", json!({}));
    assert!(
        !tables.to_string().contains("\"tags\""),
        "nothing was applied: {tables}"
    );
    let r = d.ok("db", "migrate", json!({"dir": dir_arg, "dry_run": true}));
    assert_eq!(
        states(&r),
        [
            s(1, "users", "checksum-mismatch"),
            s(2, "seed", "applied"),
            s(3, "posts", "applied"),
            s(4, "tags", "pending")
        ]
    );
    assert_eq!(r["current_version"], 3);

    // Folder problems are the caller's.
    let e = d.fail(
        "db",
        "migrate",
        json!({"dir": m.join("nope").display().to_string()}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cannot read the migrations folder"]);
    let bad = tempfile::tempdir().unwrap();
    write_migration(bad.path(), "init.sql", "SELECT 1");
    let e = d.fail(
        "db",
        "migrate",
        json!({"dir": bad.path().display().to_string()}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["init.sql", "NNNN_name.sql"]);
    let e = d.fail(
        "db",
        "migrate",
        json!({"dir": dir_arg, "force": true}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["force"]);
}

#[test]
fn failed_migration_leaves_nothing_behind() {
    let d = fake_db();
    let dir = tempfile::tempdir().unwrap();
    write_migration(dir.path(), "0001_a.sql", "CREATE TABLE a (x INTEGER);");
    write_migration(
        dir.path(),
        "0002_half.sql",
        "CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);",
    );
    let e = d.fail(
        "db",
        "migrate",
        json!({"dir": dir.path().display().to_string()}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["migration 2 ('half')", "nope"]);
    let names: Vec<String> = d
        .ok("db", "list_tables", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["a"],
        "migration 1 stays, migration 2 is rolled back"
    );
    let r = d.ok(
        "db",
        "migrate",
        json!({"dir": dir.path().display().to_string(), "dry_run": true}),
    );
    assert_eq!(states(&r), [s(1, "a", "applied"), s(2, "half", "pending")]);
}

#[test]
fn branches() {
    let d = fake_db();
    assert_eq!(
        d.ok("db", "list_branches", json!({})),
        json!([{"id": "br-0", "name": "main", "parent": null, "created_at": null, "primary": true}])
    );
    let dev = d.ok("db", "create_branch", json!({"name": "dev"}));
    assert_eq!(dev["id"], "br-1");
    assert_eq!(dev["name"], "dev");
    assert_eq!(dev["parent"], "main");
    assert_eq!(dev["primary"], false);
    assert!(dev["created_at"].as_str().unwrap().ends_with('Z'));
    let feat = d.ok(
        "db",
        "create-branch",
        json!({"name": "feat/x", "parent": "dev"}),
    );
    assert_eq!(
        (feat["id"].as_str(), feat["parent"].as_str()),
        (Some("br-2"), Some("dev"))
    );
    let names: Vec<String> = d
        .ok("db", "list-branches", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["main", "dev", "feat/x"]);

    d.fail(
        "db",
        "create_branch",
        json!({"name": "dev"}),
        409,
        "already-exists",
    );
    let e = d.fail(
        "db",
        "create_branch",
        json!({"name": "x", "parent": "ghost"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["ghost"]);
    d.fail(
        "db",
        "create_branch",
        json!({"name": "bad name"}),
        400,
        "invalid-input",
    );
    let e = d.fail(
        "db",
        "delete_branch",
        json!({"name": "dev"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["feat/x"]);
    let e = d.fail(
        "db",
        "delete_branch",
        json!({"name": "main"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["primary"]);
    assert_eq!(
        d.ok("db", "delete_branch", json!({"name": "feat/x"})),
        Value::Null
    );
    d.ok("db", "delete_branch", json!({"name": "br-1"}));
    d.fail(
        "db",
        "delete_branch",
        json!({"name": "dev"}),
        404,
        "not-found",
    );
    assert_eq!(
        d.ok("db", "list_branches", json!({}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let again = d.ok("db", "create_branch", json!({"name": "again"}));
    assert_eq!(again["id"], "br-3", "ids are never reused");
}

#[test]
fn health_and_the_database_alias() {
    let d = fake_db();
    for slot in ["db", "database"] {
        let h = d.get(&format!("/health/{slot}")).expect_status(200).json();
        assert_eq!(h["status"], "healthy");
        assert_eq!(h["slot"], "db");
        assert_eq!(h["driver"], "fake_db");
        assert_eq!(h["details"]["tables"], "0");
    }
    // `database` is the same slot: a table made through one is seen through the other.
    d.ok(
        "database",
        "execute",
        json!({"sql": "CREATE TABLE t (x INTEGER)"}),
    );
    let tables = d.ok("db", "list_tables", json!({}));
    assert_eq!(tables[0]["name"], "t");
    let report = d.ok("db", "health", json!({}));
    assert_eq!(report["healthy"], true);
    assert_eq!(report["details"]["tables"], "1");
}
