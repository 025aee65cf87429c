//! The `paddock` command line. `main` parses, sets up logging and dispatches;
//! each command is its own module.

mod call;
mod check;
mod conformance;
mod db_copy;
mod inspect;
mod mcp;
mod new;
mod secrets;
mod serve;

use crate::runtime::Driver;
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes, stable for scripts.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The call reached a driver and failed (the error is printed).
    pub const CALL_FAILED: u8 = 1;
    /// The command line is wrong.
    pub const USAGE: u8 = 2;
    /// The configuration has problems (`paddock check` lists them).
    pub const CONFIG: u8 = 3;
    /// A driver file is not usable.
    pub const DRIVER: u8 = 4;
    /// Something else failed (I/O, the daemon could not start).
    pub const INTERNAL: u8 = 5;
}

#[derive(Parser)]
#[command(
    name = "paddock",
    version,
    about = "One set of verbs over many vendors, through sandboxed WebAssembly drivers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the daemon's configuration comes from (shared by most commands).
#[derive(clap::Args, Clone, Default)]
pub struct ConfigArgs {
    /// Address to listen on [default: 127.0.0.1:7001].
    #[arg(long, env = "PADDOCK_LISTEN")]
    pub listen: Option<String>,
    /// paddock.toml to use [default: ./paddock.toml when present].
    #[arg(long, env = "PADDOCK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder of driver .wasm files [default: <data>/plugins].
    #[arg(long, env = "PADDOCK_PLUGINS")]
    pub plugins: Option<PathBuf>,
    /// Data folder: compiled-code cache, slot folders [default: .paddock].
    #[arg(long, env = "PADDOCK_DATA")]
    pub data: Option<PathBuf>,
    /// .env file to read [default: ./.env when present].
    #[arg(long)]
    pub env_file: Option<PathBuf>,
}

impl ConfigArgs {
    /// Resolves the configuration.
    pub fn load(&self) -> Result<paddock_config::Config, paddock_config::ConfigError> {
        self.load_with(&[])
    }

    /// Resolves the configuration with `extra` variables over the environment.
    pub fn load_with(
        &self,
        extra: &[(&str, &str)],
    ) -> Result<paddock_config::Config, paddock_config::ConfigError> {
        let mut env = paddock_config::Environment::from_process(self.env_file.as_deref())?;
        if !extra.is_empty() {
            let mut vars: std::collections::BTreeMap<String, String> = env
                .vars()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            env = paddock_config::Environment::from_map(vars);
        }
        let overrides = paddock_config::Overrides {
            listen: self.listen.clone(),
            config: self.config.clone(),
            plugins: self.plugins.clone(),
            data: self.data.clone(),
            env_file: self.env_file.clone(),
        };
        paddock_config::load(&overrides, env)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (HTTP API).
    Serve(ConfigArgs),
    /// Call a verb of a slot: `paddock call db query --json '{"sql": "select 1"}'`.
    Call(call::CallArgs),
    /// List slots, their drivers and where each choice came from.
    Slots {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the drivers of the plugins folder.
    Drivers {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what a driver file is and asks for, without running any verb.
    Inspect {
        /// The driver's .wasm file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate the configuration and report every problem at once.
    Check(ConfigArgs),
    /// Scaffold a driver crate: `paddock new storage my-store`.
    New(new::NewArgs),
    /// Serve MCP over stdin/stdout (for MCP clients that start their server).
    Mcp(ConfigArgs),
    /// Database tools: `paddock db copy --from db --to analytics`.
    #[command(subcommand)]
    Db(db_copy::DbCommand),
    /// Run the conformance suite of a domain against a driver file:
    /// `paddock test-driver storage my_store.wasm [--config paddock.toml]`.
    TestDriver(conformance::TestDriverArgs),
    /// Manage the encrypted secrets vault (key from PADDOCK_MASTER_KEY).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    // The daemon logs what it does; one-shot commands print their own report
    // and log only what went wrong beyond it.
    let level = match cli.command {
        Command::Serve(_) | Command::Mcp(_) => "info",
        Command::Slots { .. }
        | Command::Drivers { .. }
        | Command::Inspect { .. }
        | Command::TestDriver(_)
        | Command::Db(_)
        | Command::Check(_) => "off",
        _ => "error",
    };
    init_logging(level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Call(args) => call::run(args).await,
            Command::Slots { config, json } => check::slots(config, json).await,
            Command::Drivers { config, json } => check::drivers(config, json).await,
            Command::Inspect { file, json } => inspect::run(&file, json).await,
            Command::Check(args) => check::run(args).await,
            Command::New(args) => new::run(args),
            Command::Mcp(args) => mcp::run(args).await,
            Command::Secrets(command) => secrets::run(command),
            Command::TestDriver(args) => conformance::run(args).await,
            Command::Db(command) => db_copy::run(command).await,
        }
    });
    ExitCode::from(code)
}

fn init_logging(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("PADDOCK_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    // Every log line passes the secret scrubber on its way out.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::capabilities::secrets::ScrubbingWriter);
    if std::env::var("PADDOCK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A driver as `paddock drivers` and `GET /v1/drivers` show it.
pub fn driver_json(d: &Driver) -> Value {
    json!({
        "name": d.manifest.name,
        "aliases": d.manifest.aliases,
        "version": d.manifest.version,
        "domain": d.domain,
        "description": d.manifest.description,
        "interface": d.interface,
        "wit_version": d.wit_version,
        "file": d.path.display().to_string(),
        "sha256": d.sha256,
        "verbs": d.verbs().map(|v| v.name.replace('-', "_")).collect::<Vec<_>>(),
        "settings": d.manifest.settings,
        "capabilities": d.manifest.capabilities,
        "concurrency": d.manifest.concurrency,
    })
}

/// Starts the service with the limits from the environment.
async fn start_service(
    config: paddock_config::Config,
) -> anyhow::Result<std::sync::Arc<crate::service::Service>> {
    let limits = crate::runtime::Limits::from_env()?;
    crate::service::Service::start(config, limits).await
}

/// Prints a configuration error and returns the exit code.
fn config_failed(e: &paddock_config::ConfigError) -> u8 {
    eprintln!("error: invalid configuration:\n{e}");
    exit::CONFIG
}

/// Reloads the plugins folder (and rebinds every slot) on each SIGHUP, as
/// daemons do; MCP clients then hear that the tool list changed.
fn reload_on_sighup(service: std::sync::Arc<crate::service::Service>) {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(mut hangups) => {
            tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading the drivers");
                    service.reload().await;
                }
            });
        }
        Err(e) => tracing::warn!("cannot reload on SIGHUP: {e}"),
    }
}
