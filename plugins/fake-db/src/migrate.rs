//! `migrate`: versions recorded with their checksums in the state store and
//! applied in order, each in its own transaction. Statements of the SQL
//! subset run; other statements (CREATE INDEX, PRAGMA, BEGIN…) are recorded
//! with the migration but not executed.
//!
//! An applied migration whose file changed is never re-run. A real run
//! refuses with `conflict` before applying anything (as sqlx and Flyway do);
//! a dry run reports it as `checksum-mismatch` with everything else.

use std::collections::BTreeMap;

use paddock_sdk::db::{AppliedMigration, MigrateOptions, MigrateReport, Migration, run_migrations};
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::sql;
use crate::tx::Tx;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applied {
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
}

pub fn applied(store: &dyn Store) -> Result<BTreeMap<u64, Applied>> {
    let mut out = BTreeMap::new();
    for key in store.all_keys("v/") {
        let version = key["v/".len()..]
            .parse()
            .map_err(|_| layout::corrupt(&key, "not a version"))?;
        out.extend(layout::load(store, &key)?.map(|a| (version, a)));
    }
    Ok(out)
}

pub fn migrate(
    store: &mut dyn Store,
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
    let recorded = applied(store)?
        .into_iter()
        .map(|(version, a)| {
            let a = AppliedMigration {
                name: a.name,
                checksum: a.checksum,
            };
            (version, a)
        })
        .collect();
    run_migrations(recorded, migrations, &opts, |m| {
        apply(store, m, now_ms).map(drop)
    })
}

/// Runs one migration and records it, all in one transaction.
fn apply(store: &mut dyn Store, m: &Migration, now_ms: u64) -> Result<Applied> {
    let in_migration = |e: Error| within(e, &format!("migration {} ('{}')", m.version, m.name));
    let statements = sql::parse_script(&m.sql).map_err(in_migration)?;
    let mut tx = Tx::new(store);
    for parsed in statements.into_iter().flatten() {
        let params = sql::bind(&parsed, vec![]).map_err(in_migration)?;
        sql::run(&mut tx, parsed.stmt, &params, now_ms).map_err(in_migration)?;
    }
    let rec = Applied {
        name: m.name.clone(),
        checksum: m.checksum.clone(),
        applied_at: rfc3339(now_ms),
    };
    layout::save(&mut tx, &layout::version_key(m.version), &rec);
    tx.commit();
    Ok(rec)
}

/// The same error, its message prefixed with where it happened.
fn within(e: Error, place: &str) -> Error {
    let msg = format!("{place}: {}", e.message());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table;
    use paddock_sdk::db::MigrationState;
    use paddock_sdk::state::MemoryStore;

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

    #[test]
    fn dry_run_target_apply_and_reapply() {
        use MigrationState::*;
        let mut s = MemoryStore::new();
        let r = migrate(&mut s, set(), opts(None, true), 0).unwrap();
        assert_eq!(states(&r), [(1, Pending), (2, Pending), (3, Pending)]);
        assert_eq!((r.current_version, r.dry_run), (None, true));
        assert!(s.is_empty());

        let r = migrate(&mut s, set(), opts(Some(2), false), 0).unwrap();
        assert_eq!(states(&r), [(1, AppliedNow), (2, AppliedNow), (3, Skipped)]);
        assert_eq!(r.current_version, Some(2));
        assert_eq!(table::list(&s).unwrap().len(), 1);

        let r = migrate(&mut s, set(), opts(None, false), 0).unwrap();
        assert_eq!(states(&r), [(1, Applied), (2, Applied), (3, AppliedNow)]);
        let r = migrate(&mut s, vec![], opts(None, true), 0).unwrap();
        assert_eq!(
            states(&r),
            [(1, Applied), (2, Applied), (3, Applied)],
            "known to the database"
        );
        assert_eq!(r.migrations[0].name, "users");
    }

    #[test]
    fn changed_files_are_never_rerun() {
        let mut s = MemoryStore::new();
        migrate(&mut s, set(), opts(None, false), 0).unwrap();
        let mut changed = set();
        changed[1] = m(1, "users", "CREATE TABLE users (id INT)");
        changed.push(m(4, "more", "CREATE TABLE more (id INT)"));
        let e = migrate(&mut s, changed.clone(), opts(None, false), 0).unwrap_err();
        assert_eq!(e.kind(), "conflict");
        assert!(
            e.message()
                .starts_with("migration 1 ('users') was applied with checksum")
        );
        assert!(
            table::find(&s, "more").unwrap().is_none(),
            "nothing applied"
        );
        let r = migrate(&mut s, changed, opts(None, true), 0).unwrap();
        assert_eq!(r.migrations[0].state, MigrationState::ChecksumMismatch);
        assert_eq!(r.migrations[3].state, MigrationState::Pending);
    }

    #[test]
    fn bad_input_and_failed_migrations() {
        let mut s = MemoryStore::new();
        let e = migrate(
            &mut s,
            vec![m(1, "a", ""), m(1, "b", "")],
            opts(None, false),
            0,
        )
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        let bad = vec![
            m(1, "ok", "CREATE TABLE a (x INT)"),
            m(
                2,
                "half",
                "CREATE TABLE b (x INT); INSERT INTO nope VALUES (1)",
            ),
        ];
        let e = migrate(&mut s, bad, opts(None, false), 0).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                "not-found",
                "migration 2 ('half'): table 'nope' does not exist: create it with create-table or CREATE TABLE"
            )
        );
        assert!(
            table::find(&s, "a").unwrap().is_some(),
            "migration 1 stays applied"
        );
        assert!(
            table::find(&s, "b").unwrap().is_none(),
            "migration 2 left nothing behind"
        );
        assert_eq!(
            applied(&s).unwrap().keys().copied().collect::<Vec<_>>(),
            [1]
        );
        let e = migrate(&mut s, vec![m(3, "p", "SELECT ?")], opts(None, false), 0).unwrap_err();
        assert!(e.message().contains("parameter"));
    }
}
