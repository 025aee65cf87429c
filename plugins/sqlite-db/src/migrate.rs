//! `migrate`: versions recorded with their checksums in the table
//! `_paddock_migrations`, applied in version order, each in its own
//! transaction together with its record: a migration lands whole or not at
//! all.
//!
//! An applied migration whose file changed is never re-run. A real run
//! refuses with `conflict` before applying anything (as sqlx and Flyway
//! do); a dry run reports it as `checksum-mismatch` with everything else.
//!
//! Inside a migration:
//! - `BEGIN` and `COMMIT`/`END` are skipped (the migration already runs in a
//!   transaction); a bare `ROLLBACK` is refused, since it would end it.
//!   SQLite's authorizer says which statements these are, not their text.
//! - Foreign keys are not enforced while the statements run (SQLite's
//!   procedure for rebuilding a table needs that, and it cannot be switched
//!   inside a transaction), then `PRAGMA foreign_key_check` must find no
//!   broken reference before the migration commits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use paddock_sdk::db::{MigrateOptions, MigrateReport, Migration, run_migrations};
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization, TransactionOperation};
use rusqlite::{Batch, Connection, OptionalExtension, params};

use crate::error::{Sql, within};

/// The version table; `list-tables` leaves it out.
pub const VERSION_TABLE: &str = "_paddock_migrations";

/// One row of the version table.
pub use paddock_sdk::db::AppliedMigration as Applied;

/// The migrations recorded in the database, by version.
pub fn applied(conn: &Connection) -> Result<BTreeMap<u64, Applied>> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [VERSION_TABLE],
            |r| r.get(0),
        )
        .optional()
        .sql()?;
    if exists.is_none() {
        return Ok(BTreeMap::new());
    }
    let mut stmt = conn
        .prepare(&format!(
            "SELECT version, name, checksum FROM {VERSION_TABLE} ORDER BY version"
        ))
        .sql()?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                Applied {
                    name: r.get(1)?,
                    checksum: r.get(2)?,
                },
            ))
        })
        .sql()?;
    rows.collect::<rusqlite::Result<_>>().sql()
}

pub fn migrate(
    conn: &Connection,
    mut migrations: Vec<Migration>,
    opts: MigrateOptions,
    now_ms: u64,
) -> Result<MigrateReport> {
    migrations.sort_by_key(|m| m.version);
    if let Some(w) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(Error::invalid_input(format!(
            "migration version {} is given twice ('{}' and '{}'); versions must be unique",
            w[0].version, w[0].name, w[1].name
        )));
    }
    if let Some(m) = migrations
        .iter()
        .find(|m| i64::try_from(m.version).is_err())
    {
        return Err(Error::invalid_input(format!(
            "migration version {} ('{}') is too large: SQLite keeps versions up to {}",
            m.version,
            m.name,
            i64::MAX
        )));
    }
    let mut runner = None;
    run_migrations(applied(conn)?, migrations, &opts, |m| {
        let runner = match &mut runner {
            Some(r) => r,
            None => runner.insert(Runner::new(conn)?),
        };
        runner
            .apply(m, now_ms)
            .map_err(|e| within(e, &format!("migration {} ('{}')", m.version, m.name)))
    })
}

/// What the authorizer saw in the statement being prepared.
const PLAIN: u8 = 0;
const BEGIN: u8 = 1;
const COMMIT: u8 = 2;
const ROLLBACK: u8 = 3;

/// Applies migrations on a connection set up for it; puts the connection
/// back (foreign keys on, no authorizer) when dropped.
struct Runner<'c> {
    conn: &'c Connection,
    seen: Arc<AtomicU8>,
}

impl<'c> Runner<'c> {
    fn new(conn: &'c Connection) -> Result<Self> {
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                 version INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 checksum TEXT NOT NULL,
                 applied_at TEXT NOT NULL
             );"
        ))
        .sql()?;
        let seen = Arc::new(AtomicU8::new(PLAIN));
        let flag = seen.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            if let AuthAction::Transaction { operation } = ctx.action {
                flag.store(
                    match operation {
                        TransactionOperation::Begin => BEGIN,
                        TransactionOperation::Rollback => ROLLBACK,
                        // COMMIT and END ("COMMIT" to SQLite).
                        _ => COMMIT,
                    },
                    Ordering::Relaxed,
                );
            }
            Authorization::Allow
        }));
        Ok(Runner { conn, seen })
    }

    fn apply(&mut self, m: &Migration, now_ms: u64) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE").sql()?;
        let out = self.run(m, now_ms);
        match out {
            Ok(()) => self.conn.execute_batch("COMMIT").sql(),
            Err(e) => {
                if !self.conn.is_autocommit() {
                    self.conn.execute_batch("ROLLBACK").sql()?;
                }
                Err(e)
            }
        }
    }

    fn run(&mut self, m: &Migration, now_ms: u64) -> Result<()> {
        let mut batch = Batch::new(self.conn, &m.sql);
        loop {
            self.seen.store(PLAIN, Ordering::Relaxed);
            let Some(mut stmt) = batch.next().sql()? else {
                break;
            };
            match self.seen.load(Ordering::Relaxed) {
                BEGIN | COMMIT => continue,
                ROLLBACK => {
                    return Err(Error::invalid_input(
                        "ROLLBACK would end the transaction paddock runs the migration in; \
                         remove it (a failing statement already rolls the migration back)",
                    ));
                }
                _ => {}
            }
            if stmt.parameter_count() > 0 {
                return Err(Error::invalid_input(
                    "a statement has a parameter (?, :name, $1), and migrations take no values",
                ));
            }
            let mut rows = stmt.raw_query();
            while rows.next().sql()?.is_some() {}
        }
        self.check_foreign_keys()?;
        self.conn
            .execute(
                &format!(
                    "INSERT INTO {VERSION_TABLE} (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)"
                ),
                params![m.version as i64, m.name, m.checksum, rfc3339(now_ms)],
            )
            .sql()?;
        Ok(())
    }

    fn check_foreign_keys(&self) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check").sql()?;
        let broken: Vec<(String, Option<i64>, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .sql()?
            .collect::<rusqlite::Result<_>>()
            .sql()?;
        match broken.first() {
            None => Ok(()),
            Some((table, rowid, parent)) => Err(Error::conflict(format!(
                "it leaves {} row(s) whose foreign key points at no row, the first in table '{table}'{} referencing '{parent}'",
                broken.len(),
                rowid.map_or(String::new(), |r| format!(" (rowid {r})")),
            ))),
        }
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        self.conn
            .authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
        let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
    }
}

#[cfg(test)]
mod tests;
