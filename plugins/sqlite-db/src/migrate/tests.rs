use super::*;
use crate::tables;
use crate::testing::{db, reopen};
use paddock_sdk::db::MigrationState;

fn m(version: u64, name: &str, sql: &str) -> Migration {
    Migration {
        version,
        name: name.into(),
        sql: sql.into(),
        checksum: format!("sum-{sql}"),
    }
}

fn opts(target: Option<u64>, dry_run: bool) -> MigrateOptions {
    MigrateOptions { target, dry_run }
}

fn states(r: &MigrateReport) -> Vec<(u64, MigrationState)> {
    r.migrations.iter().map(|s| (s.version, s.state)).collect()
}

fn set() -> Vec<Migration> {
    vec![
        m(
            2,
            "seed",
            "INSERT INTO users (email) VALUES ('root'); CREATE INDEX e ON users (email);",
        ),
        m(
            1,
            "users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)",
        ),
        m(3, "posts", "CREATE TABLE posts (id INTEGER PRIMARY KEY)"),
    ]
}

fn table_names(c: &Connection) -> Vec<String> {
    tables::list(c)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

#[test]
fn dry_run_target_apply_and_reapply() {
    use MigrationState::*;
    let (d, c) = db();
    let r = migrate(&c, set(), opts(None, true), 0).unwrap();
    assert_eq!(states(&r), [(1, Pending), (2, Pending), (3, Pending)]);
    assert_eq!((r.current_version, r.dry_run), (None, true));
    assert!(
        applied(&c).unwrap().is_empty() && table_names(&c).is_empty(),
        "a dry run writes nothing, not even the version table"
    );
    let none: Option<i64> = c
        .query_row("SELECT 1 FROM sqlite_schema", [], |r| r.get(0))
        .optional()
        .unwrap();
    assert_eq!(none, None);

    let r = migrate(&c, set(), opts(Some(2), false), 0).unwrap();
    assert_eq!(states(&r), [(1, AppliedNow), (2, AppliedNow), (3, Skipped)]);
    assert_eq!(r.current_version, Some(2));
    assert_eq!(table_names(&c), ["users"]);

    drop(c);
    let c = reopen(&d);
    let r = migrate(&c, set(), opts(None, false), 0).unwrap();
    assert_eq!(states(&r), [(1, Applied), (2, Applied), (3, AppliedNow)]);
    let r = migrate(&c, set(), opts(None, false), 0).unwrap();
    assert_eq!(
        states(&r),
        [(1, Applied), (2, Applied), (3, Applied)],
        "idempotent"
    );
    let r = migrate(&c, vec![], opts(None, true), 0).unwrap();
    assert_eq!(
        states(&r),
        [(1, Applied), (2, Applied), (3, Applied)],
        "known to the database"
    );
    assert_eq!(r.migrations[0].name, "users");
    assert_eq!(r.current_version, Some(3));
    let seeded: i64 = c
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seeded, 1, "migration 2 ran once");
    let (sum, at): (String, String) = c
        .query_row(
            "SELECT checksum, applied_at FROM _paddock_migrations WHERE version = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (sum.as_str(), at.as_str()),
        (set()[1].checksum.as_str(), "1970-01-01T00:00:00.000Z")
    );
}

#[test]
fn changed_files_are_never_rerun() {
    let (_d, c) = db();
    migrate(&c, set(), opts(None, false), 0).unwrap();
    let mut changed = set();
    changed[1] = m(1, "users", "CREATE TABLE users (id INT)");
    changed.push(m(4, "more", "CREATE TABLE more (id INT)"));
    let e = migrate(&c, changed.clone(), opts(None, false), 0).unwrap_err();
    assert_eq!(e.kind(), "conflict");
    assert!(
        e.message().starts_with(
            "migration 1 ('users') was applied with checksum sum-CREATE TABLE users (id INTEGER"
        ),
        "{}",
        e.message()
    );
    assert!(
        !table_names(&c).contains(&"more".to_owned()),
        "nothing applied"
    );
    let r = migrate(&c, changed, opts(None, true), 0).unwrap();
    assert_eq!(r.migrations[0].state, MigrationState::ChecksumMismatch);
    assert_eq!(r.migrations[3].state, MigrationState::Pending);
}

#[test]
fn a_failing_migration_rolls_back_whole() {
    let (_d, c) = db();
    let e = migrate(&c, vec![m(1, "a", ""), m(1, "b", "")], opts(None, false), 0).unwrap_err();
    assert_eq!(e.kind(), "invalid-input");
    let e = migrate(&c, vec![m(u64::MAX, "big", "")], opts(None, false), 0).unwrap_err();
    assert_eq!(e.kind(), "invalid-input");

    let bad = vec![
        m(1, "ok", "CREATE TABLE a (x INT)"),
        m(
            2,
            "half",
            "CREATE TABLE b (x INT); INSERT INTO a VALUES (1); INSERT INTO nope VALUES (1)",
        ),
        m(3, "after", "CREATE TABLE c (x INT)"),
    ];
    let e = migrate(&c, bad.clone(), opts(None, false), 0).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        ("not-found", "migration 2 ('half'): no such table: nope")
    );
    assert_eq!(
        table_names(&c),
        ["a"],
        "migration 2 left nothing behind, 3 did not run"
    );
    let rows: i64 = c
        .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(
        applied(&c).unwrap().keys().copied().collect::<Vec<_>>(),
        [1]
    );

    let e = migrate(
        &c,
        vec![m(2, "syntax", "CREATE TABLE b (x INT); CREAT TABLE")],
        opts(None, false),
        0,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "invalid-input");
    assert!(
        e.message()
            .starts_with("migration 2 ('syntax'): near \"CREAT\": syntax error"),
        "{}",
        e.message()
    );
    assert_eq!(table_names(&c), ["a"]);
    let e = migrate(&c, vec![m(2, "p", "SELECT ?")], opts(None, false), 0).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "invalid-input",
            "migration 2 ('p'): a statement has a parameter (?, :name, $1), and migrations take no values"
        )
    );
}

#[test]
fn transaction_statements_in_files() {
    let (_d, c) = db();
    let r = migrate(
        &c,
        vec![m(
            1,
            "wrapped",
            "BEGIN TRANSACTION; CREATE TABLE t (x INT);
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = x + 1; END;
             SAVEPOINT s; INSERT INTO t VALUES (1); ROLLBACK TO s; RELEASE s;
             COMMIT;",
        )],
        opts(None, false),
        0,
    )
    .unwrap();
    assert_eq!(r.migrations[0].state, MigrationState::AppliedNow);
    let rows: i64 = c
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "the savepoint was rolled back");

    // A COMMIT in the middle does not commit the first half early.
    let e = migrate(
        &c,
        vec![m(
            2,
            "two",
            "CREATE TABLE u (x); COMMIT; INSERT INTO nope VALUES (1)",
        )],
        opts(None, false),
        0,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "not-found");
    assert!(!table_names(&c).contains(&"u".to_owned()));

    let e = migrate(
        &c,
        vec![m(2, "rb", "CREATE TABLE u (x); ROLLBACK;")],
        opts(None, false),
        0,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "invalid-input");
    assert!(
        e.message().contains("ROLLBACK would end the transaction"),
        "{}",
        e.message()
    );
    assert!(!table_names(&c).contains(&"u".to_owned()));
    assert!(c.is_autocommit());
}

#[test]
fn foreign_keys_are_checked_when_the_migration_ends() {
    let (_d, c) = db();
    migrate(
        &c,
        vec![m(
            1,
            "schema",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
             CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INT REFERENCES users (id));
             INSERT INTO users VALUES (1, 'a'); INSERT INTO posts VALUES (1, 1);",
        )],
        opts(None, false),
        0,
    )
    .unwrap();
    // SQLite's table rebuild: drop the parent, rename the new one in place.
    let rebuild = m(
        2,
        "rebuild",
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL DEFAULT '');
         INSERT INTO users_new SELECT id, email FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;",
    );
    migrate(&c, vec![rebuild], opts(None, false), 0).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM posts JOIN users ON users.id = posts.user_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);

    let orphan = m(3, "orphan", "INSERT INTO posts VALUES (2, 99)");
    let e = migrate(&c, vec![orphan], opts(None, false), 0).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "conflict",
            "migration 3 ('orphan'): it leaves 1 row(s) whose foreign key points at no row, the first in table 'posts' (rowid 2) referencing 'users'"
        )
    );
    let fk: bool = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert!(fk, "enforced again after migrate");
    let e = c
        .execute("INSERT INTO posts VALUES (3, 99)", [])
        .unwrap_err();
    assert!(e.to_string().contains("FOREIGN KEY"), "{e}");
}
