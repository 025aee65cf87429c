//! The S3-compatible server of the `s3` driver's tests: `s3s-fs`, a real
//! server that stores objects in a folder and verifies every SigV4 signature
//! (a wrong secret key is refused, as AWS refuses it).
//!
//! Installed with `cargo install --locked` into `target/tools` (a release
//! build of ~170 crates: 3 min 20 s on 2 busy cores, once); later runs find
//! it there and reuse it with no network. `s3s-fs` 0.14.1 is the newest that builds with the project's
//! rustc.

use crate::{cargo, run};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const CRATE: &str = "s3s-fs";
const VERSION: &str = "0.14.1";

/// The `s3s-fs` binary at `target/tools/bin/s3s-fs`, installed when it is
/// missing, does not run, or is not version [`VERSION`] (`--force`: a stale
/// binary is replaced).
pub fn s3s_fs(root: &Path) -> Result<PathBuf> {
    let tools = root.join("target/tools");
    let bin = tools.join("bin").join(CRATE);
    if installed_version(&bin).as_deref() == Some(VERSION) {
        return Ok(bin);
    }
    eprintln!(
        "installing {CRATE} {VERSION} (the S3 server of the s3 driver's tests) into {}; \
         this takes a few minutes, once",
        tools.display()
    );
    run(cargo()
        .args(["install", "--locked", "--force", "--quiet"])
        .args(["--features", "binary"])
        .arg(format!("{CRATE}@{VERSION}"))
        .arg("--root")
        .arg(&tools))
    .with_context(|| format!("installing {CRATE} {VERSION}: the s3 driver's tests need it"))?;
    match installed_version(&bin) {
        Some(v) if v == VERSION => Ok(bin),
        other => bail!(
            "{} does not run as {CRATE} {VERSION} after its install (version {other:?})",
            bin.display()
        ),
    }
}

/// The version `bin --version` prints (`s3s-fs 0.14.1`), if it runs.
fn installed_version(bin: &Path) -> Option<String> {
    if !bin.is_file() {
        return None;
    }
    let out = Command::new(bin).arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
}
