//! The bookkeeping every db driver's `migrate` shares: which migrations are
//! applied, changed, pending or beyond the target, in version order, and the
//! refusal of an edited, already applied migration. The driver supplies what
//! its version table holds and how to apply one migration (in its own
//! transaction, recorded in the table).

use std::collections::BTreeMap;

use crate::bindings::db::exports::paddock::driver::db::{
    MigrateOptions, MigrateReport, Migration, MigrationState, MigrationStatus,
};
use crate::{Error, Result};

/// One row of a driver's version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The migration's name when it was applied.
    pub name: String,
    /// The hex SHA-256 of its SQL when it was applied.
    pub checksum: String,
}

/// Runs `migrate` over what the version table holds (`recorded`, by version):
/// a real run refuses with `conflict` before applying anything when an
/// applied migration's file changed (a dry run reports it as
/// `checksum-mismatch`); otherwise every given migration not yet applied, up
/// to `target`, is passed to `apply` in version order. `apply` stops the run
/// at its first error.
pub fn run_migrations(
    mut recorded: BTreeMap<u64, AppliedMigration>,
    migrations: Vec<Migration>,
    opts: &MigrateOptions,
    mut apply: impl FnMut(&Migration) -> Result<()>,
) -> Result<MigrateReport> {
    let changed = migrations.iter().find(|m| {
        recorded
            .get(&m.version)
            .is_some_and(|a| a.checksum != m.checksum)
    });
    if let (false, Some(m)) = (opts.dry_run, changed) {
        return Err(Error::conflict(format!(
            "migration {} ('{}') was applied with checksum {} but its SQL now has checksum {}; \
             applied migrations are never re-run: restore the file or add a new migration",
            m.version, m.name, recorded[&m.version].checksum, m.checksum
        )));
    }
    let mut given: BTreeMap<u64, Migration> =
        migrations.into_iter().map(|m| (m.version, m)).collect();
    let mut versions: Vec<u64> = recorded.keys().chain(given.keys()).copied().collect();
    versions.sort_unstable();
    versions.dedup();
    let mut statuses = Vec::with_capacity(versions.len());
    for version in versions {
        let (name, state) = match (recorded.get(&version), given.remove(&version)) {
            (Some(a), Some(m)) if a.checksum != m.checksum => {
                (m.name, MigrationState::ChecksumMismatch)
            }
            (Some(a), _) => (a.name.clone(), MigrationState::Applied),
            (None, Some(m)) if opts.target.is_some_and(|t| version > t) => {
                (m.name, MigrationState::Skipped)
            }
            (None, Some(m)) if opts.dry_run => (m.name, MigrationState::Pending),
            (None, Some(m)) => {
                apply(&m)?;
                recorded.insert(
                    version,
                    AppliedMigration {
                        name: m.name.clone(),
                        checksum: m.checksum.clone(),
                    },
                );
                (m.name, MigrationState::AppliedNow)
            }
            (None, None) => unreachable!("every version comes from one of the two"),
        };
        statuses.push(MigrationStatus {
            version,
            name,
            state,
        });
    }
    Ok(MigrateReport {
        migrations: statuses,
        current_version: recorded.keys().last().copied(),
        dry_run: opts.dry_run,
    })
}
