//! System packages the driver builds need, installed when missing.

use anyhow::{Context, Result, bail};
use std::process::Command;

/// Debian packages the wasm builds need: clang and wasi-libc compile the
/// `sqlite` driver's bundled SQLite (see `.cargo/config.toml`).
const PACKAGES: &[&str] = &["clang", "wasi-libc"];

/// Installs the missing [`PACKAGES`] with apt-get (as root, or through sudo).
pub fn ensure_c_toolchain() -> Result<()> {
    let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "installing {} (needed to build the sqlite driver)",
        missing.join(", ")
    );
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| -> Result<()> {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        super::run(&mut cmd)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args).context("installing the C toolchain for wasm (clang, wasi-libc)")?;
    if let Some(p) = missing.iter().find(|p| !installed(p)) {
        bail!("{p} is still not installed after apt-get install");
    }
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}
