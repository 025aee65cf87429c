//! `paddock test-driver DOMAIN FILE.wasm`: the conformance kit. Loads one
//! driver file into an in-process daemon (its own plugins and data folders,
//! the slot configured from `--config` when given) and runs the domain's
//! shared semantic suite against it, printing a pass/fail table with the
//! reason and a hint for each failure.

mod db;
mod storage;

use super::{ConfigArgs, config_failed, exit, start_service};
use crate::error::CallError;
use crate::runtime::{CodeCache, Domain, Driver, Limits, Runtime};
use crate::service::Service;
use serde_json::Value;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `paddock test-driver`.
#[derive(clap::Args)]
pub struct TestDriverArgs {
    /// The domain whose suite to run (`storage` or `db`).
    domain: String,
    /// The driver's .wasm file.
    file: PathBuf,
    /// paddock.toml giving the slot's settings and grants (e.g. an S3
    /// endpoint and credentials); the slot is the domain's (`storage`, `db`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// .env file to read [default: ./.env when present].
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// Size of the large streamed object of the storage suite, in MiB.
    #[arg(long, default_value_t = 64)]
    large_mb: u64,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

/// One check of a suite: its name and its outcome.
pub(crate) struct Outcome {
    name: &'static str,
    result: Result<(), Failure>,
    took: Duration,
}

/// Why a check failed, and what a driver author can do about it.
#[derive(Debug)]
pub(crate) struct Failure {
    reason: String,
    hint: &'static str,
}

impl Outcome {
    /// A check that could not even start.
    pub(crate) fn failed(name: &'static str, failure: Failure) -> Self {
        Outcome {
            name,
            result: Err(failure),
            took: Duration::ZERO,
        }
    }
}

/// `Ok` when `ok`, else a failure with the reason and hint.
pub(crate) fn expect(
    ok: bool,
    reason: impl FnOnce() -> String,
    hint: &'static str,
) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure::new(reason(), hint))
    }
}

/// A suffix that keeps names of one run apart from another's.
pub(crate) fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

impl Failure {
    pub(crate) fn new(reason: impl Into<String>, hint: &'static str) -> Self {
        Failure {
            reason: reason.into(),
            hint,
        }
    }
}

/// A check's body.
pub(crate) type Check<'a> = Pin<Box<dyn Future<Output = Result<(), Failure>> + 'a>>;

/// Calls a verb of the slot under test.
pub(crate) struct Harness {
    service: Arc<Service>,
    slot: &'static str,
    pub(crate) large_mb: u64,
}

impl Harness {
    /// Calls `verb` with `args`.
    pub(crate) async fn call(&self, verb: &str, args: Value) -> Result<Value, CallError> {
        self.service.call(self.slot, verb, args).await
    }

    /// Calls `verb` and fails the check when it fails.
    pub(crate) async fn ok(&self, verb: &str, args: Value) -> Result<Value, Failure> {
        self.call(verb, args.clone()).await.map_err(|e| {
            Failure::new(
                format!("{verb}({args}) failed: {}: {}", e.kind, e.message),
                "the verb must succeed here; see the WIT doc comment of the verb",
            )
        })
    }

    /// Calls `verb` and fails the check unless it fails with `kind`.
    pub(crate) async fn fails(
        &self,
        verb: &str,
        args: Value,
        kind: &str,
        hint: &'static str,
    ) -> Result<CallError, Failure> {
        match self.call(verb, args.clone()).await {
            Err(e) if e.kind.as_str() == kind => Ok(e),
            Err(e) => Err(Failure::new(
                format!(
                    "{verb}({args}) must fail with {kind}, and failed with {}: {}",
                    e.kind, e.message
                ),
                hint,
            )),
            Ok(v) => Err(Failure::new(
                format!("{verb}({args}) must fail with {kind}, and succeeded with {v}"),
                hint,
            )),
        }
    }

    pub(crate) fn service(&self) -> &Service {
        &self.service
    }

    pub(crate) fn slot(&self) -> &'static str {
        self.slot
    }
}

/// Runs `paddock test-driver`.
pub async fn run(args: TestDriverArgs) -> u8 {
    let domain = match args.domain.as_str() {
        "storage" => Domain::Storage,
        "db" | "database" => Domain::Db,
        other => {
            eprintln!("error: no conformance suite for '{other}': suites exist for storage and db");
            return exit::USAGE;
        }
    };
    let runtime = match Runtime::new(Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::INTERNAL;
        }
    };
    let driver = match Driver::load(&runtime, &CodeCache::new(None), &args.file).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::DRIVER;
        }
    };
    if driver.domain != domain {
        eprintln!(
            "error: {} is a {} driver; run `paddock test-driver {} {}`",
            args.file.display(),
            driver.domain,
            driver.domain,
            args.file.display()
        );
        return exit::USAGE;
    }
    let slot = match domain {
        Domain::Db => "db",
        _ => "storage",
    };
    let name = driver.manifest.name.clone();
    let version = driver.manifest.version.clone();
    drop(driver);

    // A daemon of its own: a plugins folder holding just this file, fresh data.
    let scratch = match tempfile::Builder::new().prefix("paddock-kit-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot make a scratch folder: {e}");
            return exit::INTERNAL;
        }
    };
    let plugins = scratch.path().join("plugins");
    let copied = std::fs::create_dir_all(&plugins).and_then(|()| {
        std::fs::copy(
            &args.file,
            plugins.join(args.file.file_name().unwrap_or_default()),
        )
    });
    if let Err(e) = copied {
        eprintln!("error: cannot copy {}: {e}", args.file.display());
        return exit::INTERNAL;
    }
    let slot_var = paddock_config::env_var_for_slot(slot);
    // `<SLOT>_DRIVER` points the slot at the driver under test, above any
    // driver the config file names.
    let config_args = ConfigArgs {
        config: args.config.clone(),
        plugins: Some(plugins),
        data: Some(scratch.path().join("data")),
        env_file: args.env_file.clone(),
        ..ConfigArgs::default()
    };
    let config = match config_args.load_with(&[(slot_var.as_str(), name.as_str())]) {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    let service = match start_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::INTERNAL;
        }
    };
    if let Err(e) = service.binding(slot) {
        eprintln!("error: {}", e.message);
        return exit::DRIVER;
    }
    let harness = Harness {
        service,
        slot,
        large_mb: args.large_mb,
    };
    let started = Instant::now();
    let outcomes = match domain {
        Domain::Db => db::run(&harness).await,
        _ => storage::run(&harness).await,
    };
    report(&name, &version, &args, &outcomes, started.elapsed())
}

/// Runs each check in order, timing it.
pub(crate) async fn run_checks<'a>(checks: Vec<(&'static str, Check<'a>)>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (name, check) in checks {
        let started = Instant::now();
        let result = check.await;
        out.push(Outcome {
            name,
            result,
            took: started.elapsed(),
        });
    }
    out
}

fn report(
    name: &str,
    version: &str,
    args: &TestDriverArgs,
    outcomes: &[Outcome],
    took: Duration,
) -> u8 {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if args.json {
        let checks: Vec<Value> = outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(()) => serde_json::json!({"check": o.name, "passed": true, "ms": o.took.as_millis() as u64}),
                Err(f) => serde_json::json!({"check": o.name, "passed": false, "ms": o.took.as_millis() as u64, "reason": f.reason, "hint": f.hint}),
            })
            .collect();
        let doc = serde_json::json!({
            "driver": name, "version": version, "domain": args.domain,
            "passed": outcomes.len() - failed, "failed": failed, "checks": checks,
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        println!(
            "paddock {} conformance: {name} {version} ({})",
            args.domain,
            args.file.display()
        );
        let width = outcomes.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in outcomes {
            let mark = if o.result.is_ok() { "✓" } else { "✗" };
            println!(
                "  {mark} {:<width$}  {:>7.1} ms",
                o.name,
                o.took.as_secs_f64() * 1000.0
            );
            if let Err(f) = &o.result {
                println!("      {}", f.reason);
                println!("      hint: {}", f.hint);
            }
        }
        println!(
            "{} passed, {failed} failed in {:.1} s",
            outcomes.len() - failed,
            took.as_secs_f64()
        );
    }
    if failed == 0 {
        exit::OK
    } else {
        exit::CALL_FAILED
    }
}
