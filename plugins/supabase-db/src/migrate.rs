//! `migrate` over the query endpoint: versions recorded with their
//! checksums in `_paddock_migrations` (the same table the `postgres` driver
//! keeps), applied in version order.
//!
//! Each migration goes as one `v1-run-a-query` request holding its SQL and
//! the `INSERT` of its record, with no parameters: PostgreSQL runs a
//! multi-statement simple query as one implicit transaction, so a migration
//! lands with its record or not at all. (A `BEGIN`/`COMMIT` inside the file
//! breaks that: leave them out.) The version is the table's primary key, so
//! two concurrent runs cannot both record one migration: the second one's
//! transaction fails with `conflict` and leaves nothing behind.
//!
//! Why not the spec's migration endpoints (`v1-list-migration-history`,
//! `v1-apply-a-migration`): they are documented "Only available to selected
//! partner OAuth apps", and their history keeps no checksum, so an edited,
//! already-applied migration could not be told apart.

use std::collections::BTreeMap;

use paddock_sdk::db::{MigrateOptions, MigrateReport, Migration, run_migrations};
use paddock_sdk::{Error, Result};
use serde_json::Value as Json;

use crate::api::{self, Config, Transport};

/// The version table.
pub const VERSION_TABLE: &str = "_paddock_migrations";

/// `'text'` with quotes doubled (standard_conforming_strings is on).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn as_text(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn truthy(j: &Json) -> bool {
    match j {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_i64() != Some(0),
        Json::String(s) => matches!(s.as_str(), "t" | "true" | "1"),
        _ => false,
    }
}

use paddock_sdk::db::AppliedMigration as Applied;

fn applied(t: &dyn Transport, c: &Config) -> Result<BTreeMap<u64, Applied>> {
    let present = api::run_query(
        t,
        c,
        &format!(
            "SELECT to_regclass({}) IS NOT NULL AS present",
            literal(VERSION_TABLE)
        ),
        &[],
        true,
    )?;
    let exists = present
        .first()
        .and_then(|r| r.0.first())
        .is_some_and(|(_, v)| truthy(v));
    if !exists {
        return Ok(BTreeMap::new());
    }
    let rows = api::run_query(
        t,
        c,
        &format!("SELECT version, name, checksum FROM {VERSION_TABLE} ORDER BY version"),
        &[],
        true,
    )?;
    let mut map = BTreeMap::new();
    for row in rows {
        let cell = |n: &str| row.0.iter().find(|(k, _)| k == n).map(|(_, v)| as_text(v));
        let version = cell("version")
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| {
                Error::vendor(
                    "unexpected-answer",
                    format!("supabase: a row of {VERSION_TABLE} has no readable version"),
                )
            })?;
        map.insert(
            version,
            Applied {
                name: cell("name").unwrap_or_default(),
                checksum: cell("checksum").unwrap_or_default(),
            },
        );
    }
    Ok(map)
}

/// The SQL of one migration's request: its own SQL, then its record.
pub fn apply_sql(m: &Migration) -> String {
    format!(
        "{}\n;\nINSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES ({}, {}, {})",
        m.sql,
        m.version,
        literal(&m.name),
        literal(&m.checksum)
    )
}

pub fn create_table_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version bigint PRIMARY KEY, name text NOT NULL, \
         checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
}

pub fn migrate(
    t: &dyn Transport,
    c: &Config,
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
            "migration version {} ('{}') is too large for the version table",
            m.version, m.name
        )));
    }
    let mut table_ready = false;
    run_migrations(applied(t, c)?, migrations, &opts, |m| {
        if !table_ready {
            api::run_query(t, c, &create_table_sql(), &[], false)?;
            table_ready = true;
        }
        api::run_query(t, c, &apply_sql(m), &[], false)
            .map(drop)
            .map_err(|e| {
                within(
                    e,
                    &format!("migration {} ('{}') was not applied", m.version, m.name),
                )
            })
    })
}

/// `e` with `context` in front of its message, same kind.
fn within(e: Error, context: &str) -> Error {
    let msg = format!("{context}: {}", e.message());
    match e {
        Error::NotFound(_) => Error::not_found(msg),
        Error::AlreadyExists(_) => Error::already_exists(msg),
        Error::Conflict(_) => Error::conflict(msg),
        Error::AccessDenied(_) => Error::access_denied(msg),
        Error::QuotaExceeded(_) => Error::quota_exceeded(msg),
        Error::InvalidInput(_) => Error::invalid_input(msg),
        Error::Unsupported(_) => Error::unsupported(msg),
        Error::Unavailable(u) => Error::unavailable(msg, u.retry_after_ms),
        Error::Vendor(v) => Error::vendor(v.code, msg),
    }
}
