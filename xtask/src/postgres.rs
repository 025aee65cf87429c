//! The PostgreSQL of the `postgres` driver's tests: Debian's `postgresql`
//! package, installed with `apt-get` when its server binaries are missing.
//! The tests start their own throwaway clusters (`initdb` in a temporary
//! folder, a free loopback port) and stop them; the cluster the package may
//! start as a system service is not used.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root they
//! run it as the system user [`USER`], created here when missing.

use crate::run;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The unprivileged user the tests run PostgreSQL as when they are root.
pub const USER: &str = "paddock-pg";

/// The folder of `initdb`, `pg_ctl` and `postgres` (the newest installed
/// version under `/usr/lib/postgresql`), installing the package when none
/// is there; `None`, with a warning, when that fails (the tests then skip).
pub fn pg_bin() -> Option<PathBuf> {
    match ensure() {
        Ok(dir) => Some(dir),
        Err(e) => {
            eprintln!(
                "warning: no PostgreSQL for the postgres driver's tests ({e:#}): they will be skipped"
            );
            None
        }
    }
}

fn ensure() -> Result<PathBuf> {
    let dir = match find(Path::new("/usr/lib/postgresql")) {
        Some(dir) => dir,
        None => {
            eprintln!("installing Debian's postgresql (the postgres driver's tests run it)");
            let install = || {
                run(Command::new("apt-get")
                    .args(["install", "-y", "--no-install-recommends", "postgresql"])
                    .env("DEBIAN_FRONTEND", "noninteractive"))
            };
            if install().is_err() {
                run(Command::new("apt-get").arg("update"))?;
                install()?;
            }
            find(Path::new("/usr/lib/postgresql"))
                .context("apt-get installed postgresql but /usr/lib/postgresql/<version>/bin/initdb is missing")?
        }
    };
    if is_root()? {
        ensure_user()?;
    }
    Ok(dir)
}

/// `<root>/<version>/bin` of the highest version holding the three binaries.
fn find(root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let bin = e.path().join("bin");
            let has_all = ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|b| bin.join(b).is_file());
            let version: Vec<u32> = e
                .file_name()
                .to_str()?
                .split('.')
                .map(|n| n.parse().ok())
                .collect::<Option<_>>()?;
            has_all.then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> Result<bool> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .context("running id -u")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn ensure_user() -> Result<()> {
    let exists = Command::new("id")
        .arg(USER)
        .output()
        .is_ok_and(|o| o.status.success());
    if exists {
        return Ok(());
    }
    run(Command::new("useradd").args([
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        USER,
    ]))
    .with_context(|| format!("creating the system user {USER} PostgreSQL runs as"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_newest_version_with_every_binary() {
        let root = std::env::temp_dir().join(format!("xtask-pg-{}", std::process::id()));
        for (v, bins) in [
            ("13", &["initdb", "pg_ctl", "postgres"][..]),
            ("16", &["initdb", "pg_ctl", "postgres"][..]),
            ("17", &["psql"][..]),
        ] {
            let bin = root.join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            for b in bins {
                std::fs::write(bin.join(b), "").unwrap();
            }
        }
        assert_eq!(find(&root), Some(root.join("16/bin")));
        assert_eq!(find(&root.join("nope")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
