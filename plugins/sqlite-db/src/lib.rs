//! `sqlite`: SQLite compiled into the driver (rusqlite's bundled SQLite),
//! the database file in the slot's folder, which the driver sees at `/data`.
//!
//! The verbs are plain modules over a [`rusqlite::Connection`], unit-tested
//! natively on a temporary folder; this file only opens the slot's file
//! and adapts them to the WIT. Every call opens the file afresh (the host
//! makes a fresh instance for every call) and closes it when it returns.
//!
//! # Locking, and why the driver is `serialized`
//!
//! WASI has no file locks, so SQLite's default VFS on WASI (`unix-dotfile`)
//! locks with a `<file>.lock` folder instead. A call the host stops (its
//! deadline, its memory limit, a trap) would leave that folder behind and
//! every later call would answer "database is locked" until someone removed
//! it. The driver uses the `unix-none` VFS (no locks) instead and declares
//! `concurrency: serialized`: the host runs one call of a slot at a time,
//! which is the single writer SQLite's locks would otherwise guarantee.
//! Crash safety does not depend on locks: a call stopped mid-write leaves a
//! hot rollback journal, and the next call's first read rolls it back.
//!
//! What this does not cover, so do not do it while the daemon runs: two
//! slots naming the same file, or another program writing the file.
//!
//! Journal mode is SQLite's default (`DELETE`, a rollback journal next to
//! the file): WAL needs shared memory, which WASI lacks (`PRAGMA
//! journal_mode = WAL` leaves it unchanged). A file already in WAL mode
//! (made by another program) is opened with `locking_mode = EXCLUSIVE`, so
//! SQLite keeps the WAL index in memory instead. Temporary storage
//! (sorts, temporary tables, `VACUUM`) stays in memory, since WASI lends no
//! temporary folder; the instance's memory limit bounds it.
//!
//! # Verbs
//!
//! - `query` is read-only by SQLite's own doing (`PRAGMA query_only` in a
//!   transaction that is rolled back); `execute` runs one statement of any
//!   kind. Parameters and values: modules `sql` and `value`. Errors: `error`.
//! - `migrate`: module `migrate`. `list-tables`, `create-table`: `tables`.
//!   `read-rows`, `write-rows`: `rows`.
//! - Branches are `unsupported`, as the contract says for databases that
//!   have none: a copy of the file (`VACUUM INTO '/data/copy.db'` through
//!   `execute`) served by another slot is the SQLite way.
//! - `:memory:` databases are refused: every call would start empty.

mod error;
mod migrate;
mod open;
mod rows;
mod sql;
mod tables;
mod value;

use std::path::{Path, PathBuf};

use paddock_sdk::db::*;
use paddock_sdk::time::now_ms;
use rusqlite::Connection;

use crate::error::Sql;

struct SqliteDb;

/// The slot's database file, from its settings.
fn path() -> Result<PathBuf> {
    let file = open::file_setting(
        paddock_sdk::settings::get("path"),
        paddock_sdk::settings::get("url"),
    )?;
    open::resolve(Path::new(open::ROOT), &file)
}

fn connect() -> Result<Connection> {
    open::open(&path()?)
}

fn no_branches() -> Error {
    Error::unsupported(
        "sqlite has no database branches; copy the file instead (execute \"VACUUM INTO \
         '/data/copy.db'\") and serve the copy from another slot with its `path` setting",
    )
}

/// What `health` reports about an open database.
fn facts(conn: &Connection, path: &Path) -> Result<Vec<(String, String)>> {
    let one = |sql: &str| -> Result<String> {
        conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .sql()
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
    };
    let version = migrate::applied(conn)?
        .keys()
        .last()
        .map_or("none".to_owned(), u64::to_string);
    Ok(vec![
        ("file".into(), path.display().to_string()),
        ("sqlite_version".into(), rusqlite::version().to_owned()),
        ("tables".into(), tables::list(conn)?.len().to_string()),
        ("migration_version".into(), version),
        ("journal_mode".into(), one("PRAGMA journal_mode")?),
        (
            "size_bytes".into(),
            one("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")?,
        ),
    ])
}

impl Driver for SqliteDb {
    fn describe() -> Manifest {
        Manifest {
            name: "sqlite".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Db,
            description: format!(
                "SQLite {} compiled into the driver; the database is a file in the slot's \
                 folder. query is read-only (enforced by SQLite), execute runs one statement, \
                 migrate applies each migration in its own transaction with checksums in \
                 _paddock_migrations. One call at a time per slot: WASI has no file locks. \
                 No branches.",
                rusqlite::version()
            ),
            settings: vec![
                Setting {
                    name: "path".into(),
                    description: "The database file, relative to the slot's folder; created \
                                  when missing. Default: the file name of the `url` setting, \
                                  else paddock.db"
                        .into(),
                    required: false,
                    env: Some("SQLITE_PATH".into()),
                    default_value: None,
                    schema: None,
                },
                Setting {
                    name: "url".into(),
                    description: "A sqlite: URL (the db slot gets DATABASE_URL); its file \
                                  name is used, inside the slot's folder, when `path` is not set"
                        .into(),
                    required: false,
                    env: None,
                    default_value: None,
                    schema: None,
                },
            ],
            capabilities: Capabilities::none().with_folder(FolderAccess::ReadWrite),
            concurrency: Concurrency::Serialized,
        }
    }

    fn health() -> Result<HealthReport> {
        let path = path()?;
        let report = match open::open_existing(&path) {
            Ok(None) => Ok(HealthReport {
                healthy: true,
                message: Some(format!(
                    "{} does not exist yet; the first write creates it",
                    path.display()
                )),
                details: vec![
                    ("file".into(), path.display().to_string()),
                    ("sqlite_version".into(), rusqlite::version().to_owned()),
                ],
            }),
            Ok(Some(conn)) => facts(&conn, &path).map(|details| HealthReport {
                healthy: true,
                message: Some(format!("SQLite database {}", path.display())),
                details,
            }),
            Err(e) => Err(e),
        };
        Ok(report.unwrap_or_else(|e| HealthReport {
            healthy: false,
            message: Some(format!("{}: {}", e.kind(), e.message())),
            details: vec![("file".into(), path.display().to_string())],
        }))
    }

    fn query(sql: String, params: Vec<Value>) -> Result<RowSet> {
        sql::query(&connect()?, &sql, params)
    }

    fn execute(sql: String, params: Vec<Value>) -> Result<ExecuteResult> {
        let rows_affected = sql::execute(&connect()?, &sql, params)?;
        Ok(ExecuteResult { rows_affected })
    }

    fn migrate(migrations: Vec<Migration>, options: MigrateOptions) -> Result<MigrateReport> {
        migrate::migrate(&connect()?, migrations, options, now_ms())
    }

    fn list_branches() -> Result<Vec<Branch>> {
        Err(no_branches())
    }

    fn create_branch(_name: String, _parent: Option<String>) -> Result<Branch> {
        Err(no_branches())
    }

    fn delete_branch(_name: String) -> Result<()> {
        Err(no_branches())
    }

    fn list_tables() -> Result<Vec<TableInfo>> {
        Ok(tables::list(&connect()?)?
            .iter()
            .map(tables::Table::info)
            .collect())
    }

    fn create_table(info: TableInfo) -> Result<()> {
        tables::create(&connect()?, &info)
    }

    fn read_rows(
        table: String,
        columns: Option<Vec<String>>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<RowBatch> {
        rows::read(&connect()?, &table, columns, cursor, limit)
    }

    fn write_rows(
        table: String,
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
        mode: WriteMode,
        key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        let rows_written = rows::write(&connect()?, &table, columns, rows, mode, key_columns)?;
        Ok(WriteResult { rows_written })
    }
}

export_db_driver!(SqliteDb);

#[cfg(test)]
mod testing {
    use rusqlite::Connection;

    /// A database file in a fresh temporary folder, opened as the driver does.
    pub fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open::open(&dir.path().join("test.db")).unwrap();
        (dir, conn)
    }

    /// The same file, opened again (as the next call would).
    pub fn reopen(dir: &tempfile::TempDir) -> Connection {
        crate::open::open(&dir.path().join("test.db")).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_facts() {
        let (dir, conn) = testing::db();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let m = Migration {
            version: 7,
            name: "m".into(),
            sql: "CREATE TABLE u (y)".into(),
            checksum: "c".into(),
        };
        let opts = MigrateOptions {
            target: None,
            dry_run: false,
        };
        migrate::migrate(&conn, vec![m], opts, 0).unwrap();
        let facts = facts(&conn, &dir.path().join("test.db")).unwrap();
        let get = |k: &str| facts.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("tables"), "2");
        assert_eq!(get("migration_version"), "7");
        assert_eq!(get("journal_mode"), "delete");
        assert_eq!(get("sqlite_version"), rusqlite::version());
        assert!(get("size_bytes").parse::<u64>().unwrap() >= 4096);
    }

    #[test]
    fn manifest() {
        let m = SqliteDb::describe();
        assert_eq!(
            (m.name.as_str(), m.concurrency),
            ("sqlite", Concurrency::Serialized)
        );
        assert_eq!(m.capabilities.folder, Some(FolderAccess::ReadWrite));
        assert!(!m.capabilities.state && m.capabilities.http.is_empty());
        assert_eq!(no_branches().kind(), "unsupported");
    }
}
