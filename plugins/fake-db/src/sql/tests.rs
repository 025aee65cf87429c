use paddock_sdk::db::Value;
use paddock_sdk::state::{MemoryStore, Store};

use super::exec::Outcome;
use super::*;
use crate::table;

fn exec(s: &mut dyn Store, sql: &str, params: Vec<Value>) -> Result<Outcome> {
    let parsed = parse_one(sql)?;
    let params = bind(&parsed, params)?;
    run(s, parsed.stmt, &params, 0)
}

fn ok(s: &mut dyn Store, sql: &str) -> Outcome {
    exec(s, sql, vec![]).unwrap_or_else(|e| panic!("{sql}: {}", e.message()))
}

fn kind(s: &mut dyn Store, sql: &str) -> &'static str {
    exec(s, sql, vec![]).unwrap_err().kind()
}

fn dump(o: &Outcome) -> String {
    o.rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Null => "NULL".into(),
                    Value::Integer(i) => i.to_string(),
                    Value::Float(f) => format!("{f:?}"),
                    Value::Text(t) => t.clone(),
                    Value::Boolean(b) => b.to_string(),
                    Value::Timestamp(t) | Value::Json(t) => t.clone(),
                    Value::Bytes(b) => format!("{b:?}"),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn users() -> MemoryStore {
    let mut s = MemoryStore::new();
    ok(
        &mut s,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, age INT, active BOOLEAN DEFAULT TRUE)",
    );
    s
}

#[test]
fn literal_selects() {
    let mut s = MemoryStore::new();
    let o = ok(&mut s, "SELECT 1");
    assert_eq!((o.columns[0].name.as_str(), dump(&o)), ("1", "1".into()));
    let o = exec(
        &mut s,
        "select ?, -2.5 AS x, 'a''b', NULL;",
        vec![Value::Text("p".into())],
    )
    .unwrap();
    assert_eq!(
        o.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["?", "x", "'a''b'", "NULL"]
    );
    assert_eq!(dump(&o), "p,-2.5,a'b,NULL");
}

#[test]
fn insert_select_update_delete() {
    let mut s = users();
    let o = exec(
        &mut s,
        "INSERT INTO users (email, age) VALUES (?, ?), (?, ?)",
        vec![
            Value::Text("a@x".into()),
            Value::Integer(30),
            Value::Text("b@x".into()),
            Value::Null,
        ],
    )
    .unwrap();
    assert_eq!(o.rows_affected, 2);
    ok(&mut s, "INSERT INTO users VALUES (10, 'c@x', 30, FALSE)");
    assert_eq!(
        dump(&ok(&mut s, "SELECT * FROM users")),
        "1,a@x,30,true|2,b@x,NULL,true|10,c@x,30,false"
    );
    let o = ok(
        &mut s,
        "SELECT email AS e, id FROM users WHERE age = 30 AND active = 1",
    );
    assert_eq!(
        (o.columns[0].name.as_str(), dump(&o)),
        ("e", "a@x,1".into())
    );
    assert_eq!(
        dump(&ok(&mut s, "SELECT id FROM users WHERE age = NULL")),
        ""
    );
    let o = ok(&mut s, "SELECT id FROM users LIMIT 2");
    assert_eq!((dump(&o), o.rows_read), ("1|2".into(), 2));
    assert_eq!(
        dump(&ok(
            &mut s,
            "SELECT COUNT(*) FROM users WHERE age = 30 LIMIT 5"
        )),
        "2"
    );

    assert_eq!(
        ok(
            &mut s,
            "UPDATE users SET age = 31, active = false WHERE email = 'a@x'"
        )
        .rows_affected,
        1
    );
    assert_eq!(
        dump(&ok(&mut s, "SELECT age, active FROM users WHERE id = 1")),
        "31,false"
    );
    assert_eq!(
        kind(&mut s, "UPDATE users SET id = 2 WHERE id = 1"),
        "conflict"
    );
    assert_eq!(
        kind(&mut s, "INSERT INTO users (id, email) VALUES (2, 'dup')"),
        "conflict"
    );
    assert_eq!(
        ok(&mut s, "DELETE FROM users WHERE age = 30").rows_affected,
        1
    );
    assert_eq!(ok(&mut s, "DELETE FROM users").rows_affected, 2);
    ok(&mut s, "INSERT INTO users (email) VALUES ('again')");
    assert_eq!(
        dump(&ok(&mut s, "SELECT id FROM users")),
        "11",
        "automatic keys are not reused"
    );
}

#[test]
fn semantic_errors() {
    let mut s = users();
    assert_eq!(kind(&mut s, "SELECT * FROM nope"), "not-found");
    assert_eq!(kind(&mut s, "SELECT nope FROM users"), "invalid-input");
    assert_eq!(
        kind(&mut s, "INSERT INTO users (age) VALUES (1)"),
        "invalid-input",
        "email is NOT NULL"
    );
    assert_eq!(
        kind(&mut s, "INSERT INTO users (email, age) VALUES ('x', 'old')"),
        "invalid-input"
    );
    assert_eq!(
        kind(&mut s, "INSERT INTO users (email) VALUES ('x', 1)"),
        "invalid-input"
    );
    assert_eq!(
        kind(&mut s, "CREATE TABLE users (id INT)"),
        "already-exists"
    );
    ok(&mut s, "CREATE TABLE IF NOT EXISTS users (id INT)");
    assert_eq!(
        kind(&mut s, "SELECT * FROM users LIMIT -1"),
        "invalid-input"
    );
    let e = exec(&mut s, "SELECT * FROM users WHERE id = ?", vec![]).unwrap_err();
    assert_eq!(
        e.message(),
        "the statement has 1 parameter(s) but 0 value(s) were given"
    );
    assert_eq!(
        exec(&mut s, "SELECT $2", vec![Value::Null])
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    assert_eq!(kind(&mut s, "SELECT ?, $1"), "invalid-input");
    assert_eq!(kind(&mut s, "SELECT 1; SELECT 2"), "invalid-input");
    assert_eq!(kind(&mut s, "  -- nothing\n"), "invalid-input");
}

#[test]
fn outside_the_subset_is_unsupported() {
    let mut s = users();
    for sql in [
        "SELECT * FROM users ORDER BY id",
        "SELECT * FROM users WHERE id > 1",
        "SELECT * FROM users u JOIN t ON 1",
        "SELECT id, * FROM users",
        "SELECT id",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "PRAGMA table_info(users)",
        "INSERT INTO users SELECT * FROM users",
        "CREATE INDEX i ON users (email)",
        "SELECT * FROM public.users",
        "CREATE TABLE t (tags TEXT[])",
    ] {
        let e = exec(&mut s, sql, vec![]).unwrap_err();
        assert_eq!(e.kind(), "unsupported", "{sql}");
        assert!(e.message().contains("SQL subset"), "{sql}");
    }
    let e = exec(&mut s, "SELECT * FROM users ORDER BY id", vec![]).unwrap_err();
    assert!(
        e.message()
            .starts_with("expected the end of the statement, found 'ORDER' at offset 20")
    );
}

#[test]
fn create_table_forms() {
    let mut s = MemoryStore::new();
    ok(
        &mut s,
        "CREATE TABLE IF NOT EXISTS \"Orders\" (
        id BIGSERIAL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        total NUMERIC(10, 2) CHECK (total >= 0) DEFAULT 0,
        note TEXT COLLATE nocase,
        placed TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT pk PRIMARY KEY (id),
        FOREIGN KEY (user_id) REFERENCES users (id)
    ) STRICT;",
    );
    let def = table::load(&s, "orders").unwrap();
    let cols: Vec<_> = def
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.type_name.as_str(),
                c.nullable,
                c.primary_key,
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "BIGSERIAL", false, true),
            ("user_id", "INTEGER", false, false),
            ("total", "NUMERIC(10, 2)", true, false),
            ("note", "TEXT", true, false),
            ("placed", "TIMESTAMP WITH TIME ZONE", true, false),
        ]
    );
    ok(&mut s, "INSERT INTO orders (user_id) VALUES (7)");
    assert_eq!(
        dump(&ok(&mut s, "SELECT id, total, placed FROM orders")),
        "1,0.0,1970-01-01T00:00:00.000Z"
    );
    ok(&mut s, "CREATE TABLE k (a INT, b TEXT, PRIMARY KEY (a, b))");
    ok(
        &mut s,
        "CREATE TABLE g (id INTEGER GENERATED ALWAYS AS IDENTITY, v)",
    );
    assert!(table::load(&s, "g").unwrap().columns[0].auto);
    assert_eq!(
        kind(
            &mut s,
            "CREATE TABLE x (a INT PRIMARY KEY, b INT PRIMARY KEY)"
        ),
        "invalid-input"
    );
    assert_eq!(
        kind(&mut s, "CREATE TABLE x (a INT, PRIMARY KEY (zz))"),
        "invalid-input"
    );
    assert_eq!(
        kind(&mut s, "CREATE TABLE x (a TEXT AUTOINCREMENT)"),
        "invalid-input"
    );
}

#[test]
fn drop_and_alter() {
    let mut s = users();
    ok(&mut s, "INSERT INTO users (email) VALUES ('a')");
    ok(
        &mut s,
        "ALTER TABLE users ADD COLUMN plan TEXT DEFAULT 'free'",
    );
    ok(&mut s, "ALTER TABLE users ADD nick TEXT");
    assert_eq!(
        dump(&ok(&mut s, "SELECT plan, nick FROM users")),
        "free,NULL"
    );
    assert_eq!(
        kind(&mut s, "ALTER TABLE users ADD COLUMN plan TEXT"),
        "already-exists"
    );
    assert_eq!(
        kind(&mut s, "ALTER TABLE users ADD COLUMN must TEXT NOT NULL"),
        "invalid-input"
    );
    assert_eq!(
        kind(&mut s, "ALTER TABLE users DROP COLUMN plan"),
        "unsupported"
    );
    ok(&mut s, "DROP TABLE users");
    ok(&mut s, "DROP TABLE IF EXISTS users");
    assert_eq!(kind(&mut s, "DROP TABLE users"), "not-found");
    assert!(s.is_empty());
}

#[test]
fn scripts_split_and_skip_foreign_statements() {
    let script = "BEGIN; CREATE TABLE a (x INT); -- ; in a comment\n CREATE INDEX i ON a (x); \
                  INSERT INTO a VALUES (';'); ALTER TABLE a ADD CONSTRAINT c CHECK (x > 0); COMMIT;";
    let parsed = parse_script(script).unwrap();
    assert_eq!(
        parsed.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true, false, true, false, false]
    );
    assert_eq!(
        parse_script("CREATE TABLE a (x INT) WITH (fillfactor = 70)")
            .unwrap_err()
            .kind(),
        "unsupported"
    );
}

#[test]
fn query_is_read_only_and_execute_is_atomic() {
    let mut s = users();
    let e = query(&mut s, "INSERT INTO users (email) VALUES ('x')", vec![], 0).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "access-denied",
            "query is read-only; use execute for INSERT, UPDATE, DELETE and DDL"
        )
    );
    assert_eq!(
        query(&mut s, "DROP TABLE users", vec![], 0)
            .unwrap_err()
            .kind(),
        "access-denied"
    );
    assert_eq!(query(&mut s, "SELECT 1", vec![], 0).unwrap().rows.len(), 1);
    assert_eq!(
        execute(&mut s, "INSERT INTO users (email) VALUES ('a')", vec![], 0).unwrap(),
        1
    );
    let before = s.clone();
    // The second row collides with the first: neither lands.
    let e = execute(
        &mut s,
        "INSERT INTO users (id, email) VALUES (5, 'b'), (5, 'c')",
        vec![],
        0,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert_eq!(s.all_keys(""), before.all_keys(""));
    let rs = query(
        &mut s,
        "SELECT * FROM users WHERE id = ?",
        vec![Value::Integer(1)],
        0,
    )
    .unwrap();
    assert_eq!((rs.rows.len(), rs.rows_read, rs.columns.len()), (1, 1, 4));
}
