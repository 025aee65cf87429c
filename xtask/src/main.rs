//! `cargo xtask`: the project's build and test entry points.
//!
//! - `cargo xtask build`  — installs the wasm32-wasip2 target if missing, builds
//!   every driver in `plugins/` and the test components, copies the driver
//!   `.wasm` files into `.paddock/plugins` (where `paddock serve` loads them by
//!   default), and builds the `paddock` binary.
//! - `cargo xtask serve [ARGS]` — `build`, then `paddock serve ARGS`.
//! - `cargo xtask bench storage [--mb N]` — see [`bench`].
//! - `cargo xtask test`   — `build`, the MCP tests' Python virtualenv
//!   (`target/mcp-venv`, see [`mcp_venv`]), the S3 server of the `s3`
//!   driver's tests (`target/tools/bin/s3s-fs`, see [`s3s::s3s_fs`]), then
//!   every test of the workspace.

mod bench;
mod postgres;
mod s3s;
mod toolchain;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match command.as_str() {
        "build" => build(&root),
        "serve" => {
            build(&root)?;
            let status = Command::new(root.join("target/debug/paddock"))
                .arg("serve")
                .args(&rest)
                .status()
                .context("starting paddock")?;
            std::process::exit(status.code().unwrap_or(1));
        }
        "test" => {
            build(&root)?;
            test(&root, &rest)
        }
        "bench" => bench::run(&root, &rest),
        _ => {
            eprintln!(
                "usage: cargo xtask build | serve [ARGS] | test [CARGO TEST ARGS] | bench storage [--mb N]"
            );
            std::process::exit(2);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", format_command(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("running {}", format_command(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", format_command(cmd));
    }
    Ok(())
}

fn format_command(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().into_owned())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Installs the wasm target when rustup does not list it yet.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (paddock builds drivers with a rustup toolchain)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Crate names of the folders under `dir` (each with a Cargo.toml).
fn crates_in(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    if !dir.exists() {
        return Ok(names);
    }
    for entry in std::fs::read_dir(dir)? {
        let manifest = entry?.path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)?;
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_string())
            .with_context(|| format!("no package name in {}", manifest.display()))?;
        names.push(name);
    }
    names.sort();
    Ok(names)
}

fn build(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    toolchain::ensure_c_toolchain()?;
    let plugins = crates_in(&root.join("plugins"))?;
    let components = crates_in(&root.join("tests/components"))?;
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--target", WASM_TARGET]);
    for name in plugins.iter().chain(&components) {
        cmd.args(["-p", name]);
    }
    run(&mut cmd)?;
    let out = root.join(format!("target/{WASM_TARGET}/release"));
    let plugins_dir = root.join(".paddock/plugins");
    let fixtures_dir = root.join("target/test-components");
    std::fs::create_dir_all(&plugins_dir)?;
    std::fs::create_dir_all(&fixtures_dir)?;
    for (names, dest) in [(&plugins, &plugins_dir), (&components, &fixtures_dir)] {
        for name in names {
            let file = format!("{}.wasm", name.replace('-', "_"));
            std::fs::copy(out.join(&file), dest.join(&file))
                .with_context(|| format!("copying {file} to {}", dest.display()))?;
        }
    }
    eprintln!("drivers: {} in {}", plugins.len(), plugins_dir.display());
    // The binary and every test target in one invocation: `cargo test` unifies
    // dev-dependency features, and building the binary alone would resolve
    // them differently and compile wasmtime a second time.
    run(cargo().args(["build", "--all-targets"]))
}

fn test(root: &Path, extra: &[String]) -> Result<()> {
    // Host, config and integration tests (they start the real binary).
    let mut cmd = cargo();
    cmd.arg("test").args(extra);
    cmd.env("PADDOCK_BIN", root.join("target/debug/paddock"));
    cmd.env("PADDOCK_TEST_PLUGINS", root.join(".paddock/plugins"));
    cmd.env(
        "PADDOCK_TEST_COMPONENTS",
        root.join("target/test-components"),
    );
    if let Some(python) = mcp_venv(root)? {
        cmd.env("PADDOCK_TEST_PYTHON", python);
    }
    cmd.env("PADDOCK_TEST_S3S_FS", s3s::s3s_fs(root)?);
    cmd.envs(postgres::pg_bin().map(|bin| ("PADDOCK_TEST_PG_BIN", bin)));
    run(&mut cmd)?;
    // The SDK's and the drivers' own unit tests, natively.
    let plugins = crates_in(&root.join("plugins"))?;
    if !plugins.is_empty() {
        let mut cmd = cargo();
        cmd.args(["test", "--lib", "-p", "paddock-sdk"]);
        for name in &plugins {
            cmd.args(["-p", name]);
        }
        run(&mut cmd)?;
    }
    Ok(())
}

/// The virtualenv of the MCP tests (the official MCP Python SDK, pinned in
/// `tests/mcp/requirements.txt`), at `target/mcp-venv`; returns its python.
///
/// Made with `python3 -m venv` and `pip install -r` only when it is missing or
/// the requirements changed since (their hash is kept in the venv); otherwise
/// reused as it is, with no network. Without a `python3` the MCP tests are
/// skipped (they say so); a failing install is an error.
fn mcp_venv(root: &Path) -> Result<Option<PathBuf>> {
    let requirements = root.join("tests/mcp/requirements.txt");
    let venv = root.join("target/mcp-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("paddock-requirements.hash");
    let wanted = format!(
        "{:016x}",
        fnv1a(
            &std::fs::read(&requirements)
                .with_context(|| { format!("reading {}", requirements.display()) })?
        )
    );
    if python.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|h| h.trim() == wanted) {
        return Ok(Some(python));
    }
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("warning: no python3 found: the MCP tests will be skipped");
        return Ok(None);
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .with_context(|| format!("removing the stale {}", venv.display()))?;
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements))?;
    std::fs::write(&stamp, &wanted)?;
    Ok(Some(python))
}

/// 64-bit FNV-1a: a stable hash of the requirements, to tell when they changed.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
