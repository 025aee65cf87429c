//! `migrate`: versions recorded with their checksums in the table
//! `_paddock_migrations` (of the current schema), applied in version order,
//! each in its own transaction together with its record: a migration lands
//! whole or not at all. PostgreSQL's DDL is transactional, so a failing
//! `CREATE TABLE … ; INSERT …` leaves nothing behind.
//!
//! An applied migration whose file changed is never re-run. A real run
//! refuses with `conflict` before applying anything; a dry run reports it
//! as `checksum-mismatch` with everything else.
//!
//! A real run holds a session advisory lock while it works, so two
//! `migrate` calls (from two daemons, say) apply each migration once.
//!
//! Inside a migration (run as one simple-protocol script): `BEGIN` is
//! harmless (PostgreSQL warns and goes on), but a `COMMIT` or `ROLLBACK`
//! would end paddock's transaction; the driver then reports the migration
//! as failed and unrecorded. Statements that cannot run in a transaction
//! (`CREATE INDEX CONCURRENTLY`, `VACUUM`) fail with `invalid-input`.

use std::collections::BTreeMap;

use paddock_sdk::db::{MigrateOptions, MigrateReport, Migration, run_migrations};
use paddock_sdk::{Error, Result};

use crate::Db;
use crate::error::within;
use crate::wire::{TxStatus, text};

/// The version table; `list-tables` leaves it out.
pub const VERSION_TABLE: &str = "_paddock_migrations";
/// The advisory lock key of `migrate` (`paddock_m` in ASCII).
const LOCK_KEY: i64 = 0x7061_6464_6f63_6b6d;

/// One row of the version table.
pub use paddock_sdk::db::AppliedMigration as Applied;

/// The migrations recorded in the database, by version.
pub fn applied(db: &mut Db) -> Result<BTreeMap<u64, Applied>> {
    let exists = db.exec(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relname = $1",
        &[Some(VERSION_TABLE)],
    )?;
    if exists.rows.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = db.exec(
        &format!("SELECT version, name, checksum FROM {VERSION_TABLE} ORDER BY version"),
        &[],
    )?;
    let mut map = BTreeMap::new();
    for row in out.rows {
        let cell = |i: usize| row[i].as_deref().map(text).unwrap_or_default();
        let version: i64 = cell(0).parse().unwrap_or(0);
        map.insert(
            version as u64,
            Applied {
                name: cell(1),
                checksum: cell(2),
            },
        );
    }
    Ok(map)
}

pub fn migrate(
    db: &mut Db,
    mut migrations: Vec<Migration>,
    opts: MigrateOptions,
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
            "migration version {} ('{}') is too large: the version table keeps versions up to {}",
            m.version,
            m.name,
            i64::MAX
        )));
    }
    if !opts.dry_run {
        db.exec(
            "SELECT pg_advisory_lock($1::int8)",
            &[Some(&LOCK_KEY.to_string())],
        )?;
    }
    let mut table_ready = false;
    run_migrations(applied(db)?, migrations, &opts, |m| {
        if !table_ready {
            db.simple(&format!(
                "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
                     version bigint PRIMARY KEY,
                     name text NOT NULL,
                     checksum text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now()
                 )"
            ))?;
            table_ready = true;
        }
        apply(db, m).map_err(|e| within(e, &format!("migration {} ('{}')", m.version, m.name)))
    })
}

fn apply(db: &mut Db, m: &Migration) -> Result<()> {
    db.simple("BEGIN")?;
    let out = run(db, m);
    if out.is_err() && db.status != TxStatus::Idle {
        // The migration's own error, whatever the rollback says.
        let _ = db.simple("ROLLBACK");
    }
    out
}

fn run(db: &mut Db, m: &Migration) -> Result<()> {
    db.simple(&m.sql)?;
    if db.status != TxStatus::InTransaction {
        return Err(Error::invalid_input(
            "its SQL ended the transaction paddock runs it in (a COMMIT or ROLLBACK in the file), \
             so what ran before that is not recorded; remove it (a failing statement already \
             rolls the migration back) and check the database by hand",
        ));
    }
    let version = m.version.to_string();
    db.exec(
        &format!("INSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES ($1, $2, $3)"),
        &[Some(&version), Some(&m.name), Some(&m.checksum)],
    )?;
    db.simple("COMMIT")
}
