use paddock_sdk::db::{ColumnDef, TableInfo, ValueType};

use super::*;
use crate::testing::db;

fn setup() -> (tempfile::TempDir, Connection) {
    let (d, c) = db();
    c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, n INTEGER)")
        .unwrap();
    (d, c)
}

fn v(id: i64, email: &str, n: i64) -> Vec<Value> {
    vec![
        Value::Integer(id),
        Value::Text(email.into()),
        Value::Integer(n),
    ]
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn all(c: &Connection, table: &str) -> Vec<String> {
    read(c, table, None, None, None)
        .unwrap()
        .rows
        .iter()
        .map(|r| format!("{r:?}"))
        .collect()
}

#[test]
fn append_conflicts_and_is_checked() {
    let (_d, c) = setup();
    let every = cols(&["id", "email", "n"]);
    let w = |columns: Vec<String>, rows, mode| write(&c, "t", columns, rows, mode, vec![]);
    assert_eq!(
        w(
            every.clone(),
            vec![v(1, "a", 1), v(2, "b", 2)],
            WriteMode::Append
        )
        .unwrap(),
        2
    );
    let e = w(
        every.clone(),
        vec![v(3, "c", 3), v(1, "x", 0)],
        WriteMode::Append,
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        ("conflict", "row 1: UNIQUE constraint failed: t.id")
    );
    assert_eq!(
        all(&c, "t").len(),
        2,
        "row 3 of the failed batch did not land either"
    );
    assert!(c.is_autocommit());
    let e = w(cols(&["id", "nope"]), vec![], WriteMode::Append).unwrap_err();
    assert_eq!(
        e.message(),
        "table 't' has no column 'nope' (its columns: id, email, n)"
    );
    let e = write(&c, "x", every.clone(), vec![], WriteMode::Append, vec![]).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "not-found",
            "table 'x' does not exist: create it with create-table or CREATE TABLE"
        )
    );
    let e = w(
        every.clone(),
        vec![vec![Value::Integer(4)]],
        WriteMode::Append,
    )
    .unwrap_err();
    assert_eq!(e.message(), "row 0 has 1 values for 3 columns");
    let e = w(
        every.clone(),
        vec![vec![Value::Text("x".into()), Value::Null, Value::Null]],
        WriteMode::Append,
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "invalid-input",
            "row 0: column 'id' (INTEGER) cannot hold text 'x'"
        )
    );
    assert_eq!(
        w(vec![], vec![], WriteMode::Append).unwrap_err().kind(),
        "invalid-input"
    );
    assert_eq!(
        w(cols(&["id", "ID"]), vec![], WriteMode::Append)
            .unwrap_err()
            .message(),
        "column 'ID' is named twice"
    );
    // Left-out integer keys are filled in, as by INSERT.
    w(
        cols(&["email"]),
        vec![vec![Value::Text("auto".into())]],
        WriteMode::Append,
    )
    .unwrap();
    assert_eq!(
        all(&c, "t")[2],
        "[Value::Integer(3), Value::Text(\"auto\"), Value::Null]"
    );
}

#[test]
fn overwrite_and_upsert() {
    let (_d, c) = setup();
    let every = cols(&["id", "email", "n"]);
    let w = |columns: Vec<String>, rows, mode, keys: &[&str]| {
        write(&c, "t", columns, rows, mode, cols(keys))
    };
    w(
        every.clone(),
        vec![v(1, "a", 1), v(2, "b", 2)],
        WriteMode::Append,
        &[],
    )
    .unwrap();
    w(every.clone(), vec![v(7, "z", 7)], WriteMode::Overwrite, &[]).unwrap();
    assert_eq!(all(&c, "t").len(), 1);

    assert_eq!(
        w(every.clone(), vec![], WriteMode::Upsert, &[])
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    // By the primary key.
    w(
        every.clone(),
        vec![v(7, "z", 70), v(8, "y", 8)],
        WriteMode::Upsert,
        &["id"],
    )
    .unwrap();
    // By a column without a unique index; only the columns given change.
    w(
        cols(&["email", "n"]),
        vec![
            vec![Value::Text("y".into()), Value::Integer(80)],
            vec![Value::Text("new".into()), Value::Integer(9)],
            vec![Value::Null, Value::Integer(10)],
        ],
        WriteMode::Upsert,
        &["email"],
    )
    .unwrap();
    assert_eq!(
        all(&c, "t"),
        [
            "[Value::Integer(7), Value::Text(\"z\"), Value::Integer(70)]",
            "[Value::Integer(8), Value::Text(\"y\"), Value::Integer(80)]",
            "[Value::Integer(9), Value::Text(\"new\"), Value::Integer(9)]",
            "[Value::Integer(10), Value::Null, Value::Integer(10)]",
        ],
        "a NULL key matches nothing: inserted"
    );
    // Only key columns: present rows stay, missing ones are inserted.
    w(
        cols(&["id"]),
        vec![vec![Value::Integer(7)], vec![Value::Integer(20)]],
        WriteMode::Upsert,
        &["id"],
    )
    .unwrap();
    assert_eq!(all(&c, "t").len(), 5);
    let e = w(cols(&["n"]), vec![], WriteMode::Upsert, &["email"]).unwrap_err();
    assert_eq!(
        e.message(),
        "key column 'email' must be among the columns written"
    );
    // An overwrite that fails keeps the old rows.
    let e = w(
        every,
        vec![v(1, "a", 1), v(1, "b", 2)],
        WriteMode::Overwrite,
        &[],
    )
    .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert_eq!(all(&c, "t").len(), 5);
}

#[test]
fn portable_types_round_trip() {
    let (_d, c) = db();
    let def = |name: &str, vt| ColumnDef {
        name: name.into(),
        value_type: vt,
        nullable: true,
        primary_key: false,
    };
    crate::tables::create(
        &c,
        &TableInfo {
            name: "everything".into(),
            columns: vec![
                def("b", ValueType::Boolean),
                def("i", ValueType::Integer),
                def("f", ValueType::Float),
                def("s", ValueType::Text),
                def("y", ValueType::Bytes),
                def("j", ValueType::Json),
                def("ts", ValueType::Timestamp),
                def("u", ValueType::Unknown),
            ],
        },
    )
    .unwrap();
    let names = cols(&["b", "i", "f", "s", "y", "j", "ts", "u"]);
    let row = vec![
        Value::Boolean(false),
        Value::Integer(-5),
        Value::Float(0.5),
        Value::Text("01".into()),
        Value::Bytes(vec![9]),
        Value::Json("[1, {\"a\": null}]".into()),
        Value::Timestamp("2024-05-01T12:00:00.000Z".into()),
        Value::Text("007".into()),
    ];
    // What a loader sends for the same values when it only has text and numbers.
    let loose = vec![
        Value::Integer(1),
        Value::Float(3.0),
        Value::Integer(2),
        Value::Null,
        Value::Null,
        Value::Text("{\"k\": 1}".into()),
        Value::Text("2024-05-02".into()),
        Value::Integer(7),
    ];
    write(
        &c,
        "everything",
        names.clone(),
        vec![row.clone(), loose],
        WriteMode::Append,
        vec![],
    )
    .unwrap();
    let b = read(&c, "everything", None, None, None).unwrap();
    assert_eq!(format!("{:?}", b.rows[0]), format!("{row:?}"));
    assert_eq!(
        format!("{:?}", b.rows[1]),
        "[Value::Boolean(true), Value::Integer(3), Value::Float(2.0), Value::Null, Value::Null, \
         Value::Json(\"{\\\"k\\\": 1}\"), Value::Timestamp(\"2024-05-02\"), Value::Integer(7)]"
    );
    let types: Vec<_> = b
        .columns
        .iter()
        .map(|c| (c.type_name.as_str(), c.value_type))
        .collect();
    assert_eq!(types[0], ("BOOLEAN", ValueType::Boolean));
    assert_eq!(types[7], ("", ValueType::Unknown));
    let e = write(
        &c,
        "everything",
        cols(&["j"]),
        vec![vec![Value::Text("{".into())]],
        WriteMode::Append,
        vec![],
    )
    .unwrap_err();
    assert_eq!(e.message(), "row 0: column 'j' (JSON) cannot hold text '{'");
}

fn page_through(c: &Connection, table: &str, limit: u32) -> (u64, usize, Vec<String>) {
    let (mut seen, mut cursor, mut batches, mut rows) = (0, None, 0, Vec::new());
    loop {
        let b = read(c, table, Some(cols(&["n"])), cursor, Some(limit)).unwrap();
        assert_eq!(b.columns.len(), 1);
        seen += b.rows_read;
        batches += 1;
        rows.extend(b.rows.iter().map(|r| format!("{r:?}")));
        match b.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    (seen, batches, rows)
}

#[test]
fn batches_with_cursor() {
    let (_d, c) = setup();
    let rows: Vec<_> = (1..=5).map(|i| v(i * 10, "e", i)).collect();
    write(
        &c,
        "t",
        cols(&["id", "email", "n"]),
        rows,
        WriteMode::Append,
        vec![],
    )
    .unwrap();
    let (seen, batches, _) = page_through(&c, "t", 2);
    assert_eq!((seen, batches), (5, 3));
    let (seen, batches, _) = page_through(&c, "t", 5);
    assert_eq!((seen, batches), (5, 1), "no empty last batch");

    let first = read(&c, "t", None, None, Some(2)).unwrap();
    assert_eq!(first.next_cursor.as_deref(), Some("20@t"));
    // Rows added before the cursor do not shift the next batch.
    c.execute("INSERT INTO t VALUES (1, 'early', 0)", [])
        .unwrap();
    let next = read(&c, "t", None, first.next_cursor, Some(2)).unwrap();
    assert_eq!(format!("{:?}", next.rows[0][0]), "Value::Integer(30)");

    for bad in ["1@other", "x@t", "+1@t"] {
        let e = read(&c, "t", None, Some(bad.into()), None).unwrap_err();
        assert_eq!(e.kind(), "invalid-input", "{bad}");
    }
    assert_eq!(
        read(&c, "t", None, None, Some(0)).unwrap_err().kind(),
        "invalid-input"
    );
    assert_eq!(
        read(&c, "t", Some(vec![]), None, None).unwrap_err().kind(),
        "invalid-input"
    );
    assert_eq!(
        read(&c, "nope", None, None, None).unwrap_err().kind(),
        "not-found"
    );
    assert_eq!(
        read(&c, "T", None, None, Some(20_000)).unwrap().rows.len(),
        6,
        "names match case-insensitively"
    );
}

#[test]
fn tables_without_rowid_go_by_key() {
    let (_d, c) = db();
    c.execute_batch(
        "CREATE TABLE k (a TEXT, n INT, PRIMARY KEY (a)) WITHOUT ROWID;
         INSERT INTO k VALUES ('c', 3), ('a', 1), ('d', 4), ('b', 2), ('e', 5);
         CREATE TABLE odd (rowid INT, _rowid_ INT, oid INT, n INT);
         INSERT INTO odd VALUES (9, 9, 9, 1), (8, 8, 8, 2), (7, 7, 7, 3);",
    )
    .unwrap();
    let (seen, batches, rows) = page_through(&c, "k", 2);
    assert_eq!((seen, batches), (5, 3));
    assert_eq!(
        rows,
        (1..=5)
            .map(|i| format!("[Value::Integer({i})]"))
            .collect::<Vec<_>>()
    );
    let first = read(&c, "k", None, None, Some(2)).unwrap();
    assert_eq!(first.next_cursor.as_deref(), Some("+2@k"));
    let (seen, _, rows) = page_through(&c, "odd", 2);
    assert_eq!(seen, 3);
    assert_eq!(rows[0], "[Value::Integer(1)]");
}
