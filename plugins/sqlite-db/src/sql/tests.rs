use paddock_sdk::db::{Value, ValueType};
use rusqlite::{Connection, OpenFlags};

use super::*;
use crate::testing::{db, reopen};

fn ok(c: &Connection, sql: &str) -> u64 {
    execute(c, sql, vec![]).unwrap_or_else(|e| panic!("{sql}: {}", e.message()))
}

fn err(c: &Connection, sql: &str, params: Vec<Value>) -> Error {
    execute(c, sql, params).unwrap_err()
}

fn dump(rs: &RowSet) -> String {
    rs.rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn columns(rs: &RowSet) -> Vec<(String, String, ValueType)> {
    rs.columns
        .iter()
        .map(|c| (c.name.clone(), c.type_name.clone(), c.value_type))
        .collect()
}

#[test]
fn literal_selects_type_their_columns_by_value() {
    let (_d, c) = db();
    let rs = query(&c, "SELECT 1, 2.5 AS x, 'a''b', x'00ff', NULL;", vec![]).unwrap();
    assert_eq!(
        dump(&rs),
        "Value::Integer(1),Value::Float(2.5),Value::Text(\"a'b\"),Value::Bytes([0, 255]),Value::Null"
    );
    assert_eq!(
        columns(&rs),
        [
            ("1".into(), "INTEGER".into(), ValueType::Integer),
            ("x".into(), "REAL".into(), ValueType::Float),
            ("'a''b'".into(), "TEXT".into(), ValueType::Text),
            ("x'00ff'".into(), "BLOB".into(), ValueType::Bytes),
            ("NULL".into(), "NULL".into(), ValueType::Unknown),
        ]
    );
    assert_eq!(rs.rows_read, 1);
    let rs = query(&c, "SELECT 1 WHERE 0", vec![]).unwrap();
    assert_eq!(
        columns(&rs),
        [("1".into(), String::new(), ValueType::Unknown)]
    );
}

#[test]
fn every_value_type_round_trips_through_a_typed_table() {
    let (d, c) = db();
    ok(
        &c,
        "CREATE TABLE t (b BOOLEAN, i INTEGER, f REAL, s TEXT, y BLOB, j JSON, ts TIMESTAMP, n)",
    );
    let values = vec![
        Value::Boolean(true),
        Value::Integer(i64::MIN),
        Value::Float(-0.125),
        Value::Text("héllo\n\u{1F600}".into()),
        Value::Bytes(vec![0, 1, 254, 255]),
        Value::Json("{\"a\":[1,2]}".into()),
        Value::Timestamp("2024-05-01T12:00:00Z".into()),
        Value::Null,
    ];
    let insert = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    assert_eq!(execute(&c, insert, values.clone()).unwrap(), 1);
    let more = vec![
        Value::Boolean(false),
        Value::Integer(i64::MAX),
        Value::Float(1e300),
        Value::Text(String::new()),
        Value::Bytes(vec![]),
        Value::Json("7".into()),
        Value::Timestamp("2024-05-01".into()),
        Value::Float(f64::MIN_POSITIVE),
    ];
    execute(&c, insert, more.clone()).unwrap();
    drop(c);
    let c = reopen(&d);
    let rs = query(&c, "SELECT * FROM t ORDER BY rowid", vec![]).unwrap();
    assert_eq!(
        format!("{:?}", rs.rows),
        format!("{:?}", vec![values, more])
    );
    let types: Vec<_> = rs.columns.iter().map(|c| c.value_type).collect();
    assert_eq!(
        types,
        [
            ValueType::Boolean,
            ValueType::Integer,
            ValueType::Float,
            ValueType::Text,
            ValueType::Bytes,
            ValueType::Json,
            ValueType::Timestamp,
            ValueType::Float,
        ]
    );
    assert_eq!(rs.columns[6].type_name, "TIMESTAMP");
    assert_eq!(
        rs.columns[7].type_name, "REAL",
        "untyped: typed by its first value"
    );
    // Parameters compare as the values SQLite stores.
    let rs = query(
        &c,
        "SELECT i FROM t WHERE b = ? AND y = ? AND j = ?",
        vec![
            Value::Boolean(true),
            Value::Bytes(vec![0, 1, 254, 255]),
            Value::Json("{\"a\":[1,2]}".into()),
        ],
    )
    .unwrap();
    assert_eq!(dump(&rs), format!("Value::Integer({})", i64::MIN));
}

#[test]
fn parameter_styles() {
    let (_d, c) = db();
    let one = |sql: &str, params: Vec<Value>| dump(&query(&c, sql, params).unwrap());
    let ab = || vec![Value::Text("a".into()), Value::Text("b".into())];
    assert_eq!(
        one("SELECT ?, ?", ab()),
        "Value::Text(\"a\"),Value::Text(\"b\")"
    );
    assert_eq!(
        one("SELECT $2, $1", ab()),
        "Value::Text(\"b\"),Value::Text(\"a\")"
    );
    assert_eq!(
        one("SELECT ?2, ?1, ?2", ab()),
        "Value::Text(\"b\"),Value::Text(\"a\"),Value::Text(\"b\")"
    );
    assert_eq!(
        one("SELECT :x, @y", ab()),
        "Value::Text(\"a\"),Value::Text(\"b\")"
    );
    assert_eq!(
        one("SELECT $1, $1", vec![Value::Integer(3)]),
        "Value::Integer(3),Value::Integer(3)"
    );

    let e = query(&c, "SELECT ?", vec![]).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "invalid-input",
            "the statement has 1 parameter(s) but 0 value(s) were given"
        )
    );
    assert_eq!(
        query(&c, "SELECT $2", vec![Value::Null])
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    assert_eq!(
        query(&c, "SELECT 1", vec![Value::Null]).unwrap_err().kind(),
        "invalid-input"
    );
    let e = query(&c, "SELECT ?, $1", vec![Value::Null]).unwrap_err();
    assert!(e.message().contains("mixes"), "{}", e.message());
    let e = query(&c, "SELECT ?", vec![Value::Json("{".into())]).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "invalid-input",
            "parameter 1 is a json value that is not JSON: text '{'"
        )
    );
}

#[test]
fn query_is_read_only_by_sqlite() {
    let (d, c) = db();
    ok(
        &c,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
    );
    for sql in [
        "INSERT INTO users (email) VALUES ('x')",
        "DELETE FROM users",
        "DROP TABLE users",
        "CREATE TABLE t (a)",
        "INSERT INTO users (email) VALUES ('y') RETURNING id",
        "PRAGMA user_version = 3",
    ] {
        let e = query(&c, sql, vec![]).unwrap_err();
        assert_eq!(e.kind(), "access-denied", "{sql}: {}", e.message());
        assert!(
            e.message().starts_with("query is read-only; use execute"),
            "{}",
            e.message()
        );
    }
    // Statements that would escape the transaction fail too.
    for sql in ["VACUUM", "BEGIN"] {
        assert_eq!(
            query(&c, sql, vec![]).unwrap_err().kind(),
            "invalid-input",
            "{sql}"
        );
    }
    let attach = format!("ATTACH '{}' AS o", d.path().join("other.db").display());
    let e = query(&c, &attach, vec![]).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        ("access-denied", "query cannot ATTACH databases")
    );
    // A statement that ends the transaction early still cannot write.
    query(&c, "COMMIT", vec![]).unwrap();
    drop(c);
    let c = reopen(&d);
    let rs = query(&c, "SELECT count(*) FROM users", vec![]).unwrap();
    assert_eq!(dump(&rs), "Value::Integer(0)");
    assert_eq!(columns(&rs)[0].1, "INTEGER");
    assert!(
        d.path().read_dir().unwrap().count() == 1,
        "no other.db was created"
    );
    // The connection can still write afterwards.
    assert_eq!(ok(&c, "INSERT INTO users (email) VALUES ('a')"), 1);
}

#[test]
fn execute_counts_rows_changed() {
    let (_d, c) = db();
    assert_eq!(ok(&c, "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT)"), 0);
    assert_eq!(ok(&c, "INSERT INTO t (n) VALUES (1), (2), (3)"), 3);
    assert_eq!(ok(&c, "UPDATE t SET n = n + 1 WHERE n > 1"), 2);
    assert_eq!(
        ok(&c, "CREATE INDEX i ON t (n)"),
        0,
        "not the last INSERT's count"
    );
    assert_eq!(ok(&c, "SELECT * FROM t"), 0);
    assert_eq!(ok(&c, "INSERT INTO t (n) VALUES (9) RETURNING id"), 1);
    assert_eq!(ok(&c, "DELETE FROM t WHERE n = 100"), 0);
    assert_eq!(ok(&c, "DELETE FROM t"), 4);
    assert_eq!(ok(&c, "VACUUM"), 0);
}

#[test]
fn errors_take_the_wit_kinds() {
    let (_d, c) = db();
    ok(
        &c,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INT CHECK (age >= 0))",
    );
    ok(
        &c,
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INT REFERENCES users (id))",
    );
    ok(&c, "INSERT INTO users (id, email) VALUES (1, 'a')");
    let cases: &[(&str, &str, &str)] = &[
        (
            "SELEC 1",
            "invalid-input",
            "near \"SELEC\": syntax error (at offset 0)",
        ),
        (
            "SELECT nope FROM users",
            "invalid-input",
            "no such column: nope (at offset 7)",
        ),
        ("SELECT * FROM nope", "not-found", "no such table: nope"),
        (
            "CREATE TABLE users (x)",
            "already-exists",
            "table users already exists (at offset 13)",
        ),
        (
            "INSERT INTO users (email) VALUES ('a')",
            "conflict",
            "UNIQUE constraint failed: users.email",
        ),
        (
            "INSERT INTO users (id, email) VALUES (1, 'b')",
            "conflict",
            "UNIQUE constraint failed: users.id",
        ),
        (
            "INSERT INTO users (age) VALUES (1)",
            "invalid-input",
            "NOT NULL constraint failed: users.email",
        ),
        (
            "INSERT INTO users (email, age) VALUES ('c', -1)",
            "invalid-input",
            "CHECK constraint failed: age >= 0",
        ),
        (
            "INSERT INTO posts (user_id) VALUES (42)",
            "conflict",
            "FOREIGN KEY constraint failed",
        ),
        (
            "INSERT INTO users (id, email) VALUES ('x', 'd')",
            "invalid-input",
            "datatype mismatch",
        ),
        (
            "SELECT 1; SELECT 2",
            "invalid-input",
            "the SQL holds more than one statement; send one per call (migrate runs scripts)",
        ),
        (
            "  -- nothing\n ;",
            "invalid-input",
            "the SQL holds no statement",
        ),
    ];
    let got: Vec<(&str, String)> = cases
        .iter()
        .map(|(sql, _, _)| {
            let e = err(&c, sql, vec![]);
            (e.kind(), e.message().to_owned())
        })
        .collect();
    let want: Vec<(&str, String)> = cases.iter().map(|(_, k, m)| (*k, m.to_string())).collect();
    assert_eq!(got, want);
    assert_eq!(ok(&c, "SELECT 1;  -- trailing comment"), 0);
}

#[test]
fn busy_full_and_read_only_files() {
    let (d, c) = db();
    let path = d.path().join("test.db");
    ok(&c, "CREATE TABLE t (x)");

    // SQLite's locking VFS and a writer holding the lock: busy.
    let locker = Connection::open(&path).unwrap();
    locker
        .execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)")
        .unwrap();
    let other = Connection::open(&path).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let e = err(&other, "INSERT INTO t VALUES (2)", vec![]);
    assert_eq!(
        (e.kind(), e.message()),
        ("unavailable", "database is locked")
    );
    drop(locker);

    // A full database.
    c.execute_batch("PRAGMA max_page_count = 3").unwrap();
    let e = err(&c, "INSERT INTO t VALUES (zeroblob(100000))", vec![]);
    assert_eq!(
        (e.kind(), e.message()),
        ("quota-exceeded", "database or disk is full")
    );

    // A file the slot may only read (a read-only grant).
    let ro = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let e = err(&ro, "INSERT INTO t VALUES (3)", vec![]);
    assert_eq!(
        (e.kind(), e.message()),
        ("access-denied", "attempt to write a readonly database")
    );
    assert_eq!(
        dump(&query(&ro, "SELECT count(*) FROM t", vec![]).unwrap()),
        "Value::Integer(0)"
    );
}

#[test]
fn big_results_are_refused() {
    let (_d, c) = db();
    let e = query(
        &c,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 80) SELECT zeroblob(1048576) FROM n",
        vec![],
    )
    .unwrap_err();
    assert_eq!(e.kind(), "quota-exceeded");
}
