//! [`load`]: files + environment → [`Config`].
//!
//! Order of work: find and parse `paddock.toml`, find and parse
//! `config/drivers.toml`, resolve the server settings, resolve every slot,
//! then report every problem found on the way at once.

mod api;
mod server;
mod slots;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::env::Environment;
use crate::error::{ConfigError, Issue, finish};
use crate::files::{PaddockToml, parse_drivers_partial, parse_paddock_partial};
use crate::interpolate::Interpolator;
use crate::model::Config;
use crate::paths::{absolutize, folder_of};

pub use api::API_TOKEN_VAR;
pub use server::{DEFAULT_DATA_DIR, DEFAULT_LISTEN};

/// Settings given on the command line. Each wins over its environment
/// variable, which wins over `paddock.toml`'s `[server]`, which wins over
/// the default. Relative paths are relative to the working directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--listen` (else `PADDOCK_LISTEN`, `[server] listen`, `127.0.0.1:7001`).
    pub listen: Option<String>,
    /// `--config` (else `PADDOCK_CONFIG`, else `./paddock.toml` if it exists).
    pub config: Option<PathBuf>,
    /// `--plugins` (else `PADDOCK_PLUGINS`, `[server] plugins`, `<data>/plugins`).
    pub plugins: Option<PathBuf>,
    /// `--data` (else `PADDOCK_DATA`, `[server] data`, `.paddock`).
    pub data: Option<PathBuf>,
    /// `--env-file`: the `.env` file [`Environment::from_process`] reads
    /// (else `./.env` if it exists). [`load`] itself does not read it: it
    /// takes an [`Environment`] already built; [`load_from_process`] does both.
    pub env_file: Option<PathBuf>,
}

/// Builds the [`Environment`] from the process and `overrides.env_file`,
/// then [`load`]s.
pub fn load_from_process(overrides: &Overrides) -> Result<Config, ConfigError> {
    let env = Environment::from_process(overrides.env_file.as_deref())?;
    load(overrides, env)
}

/// Resolves the configuration against `env`, relative to the current
/// working directory. See [`load_in`].
pub fn load(overrides: &Overrides, env: Environment) -> Result<Config, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| Issue::ReadFile {
        path: PathBuf::from("."),
        reason: format!("cannot determine the current directory: {e}"),
    })?;
    load_in(overrides, env, &cwd)
}

/// Resolves the configuration against `env`, with `working_dir` standing for
/// the current directory (where `paddock.toml`, `config/drivers.toml` and
/// `.paddock` are looked for, and what relative command-line and environment
/// paths are relative to). Paths written in a file are relative to that
/// file's folder. A relative `working_dir` is taken from the current
/// directory. Every problem found is reported, one per line.
pub fn load_in(
    overrides: &Overrides,
    env: Environment,
    working_dir: &Path,
) -> Result<Config, ConfigError> {
    let mut issues = Vec::new();
    let cwd;
    let working_dir = if working_dir.is_absolute() {
        working_dir
    } else {
        cwd = std::env::current_dir()
            .map(|cwd| absolutize(&cwd, working_dir))
            .unwrap_or_else(|_| working_dir.to_owned());
        &cwd
    };

    let config_file = locate_config(overrides, &env, working_dir);
    let paddock = config_file
        .as_ref()
        .and_then(|found| read_and_parse(found, parse_paddock_partial, &mut issues));

    let mut interp = Interpolator::new(&env);
    let server = server::interpolate_section(paddock.as_ref(), &mut interp);

    let drivers_file = locate_drivers(&env, working_dir, paddock.as_ref(), &server);
    let drivers = drivers_file
        .as_ref()
        .and_then(|found| read_and_parse(found, parse_drivers_partial, &mut issues));

    let settings = server::resolve(overrides, &env, working_dir, &server, &mut issues);
    let slots = slots::resolve(
        paddock.as_ref(),
        drivers.as_ref(),
        &env,
        working_dir,
        &mut interp,
        &mut issues,
    );
    let api_tokens = api::resolve(
        paddock.as_ref(),
        &env,
        settings.listen,
        &mut interp,
        &mut issues,
    );
    issues.extend(interp.finish());

    let config = Config {
        listen: settings.listen,
        plugins_dir: settings.plugins_dir,
        data_dir: settings.data_dir,
        config_file: config_file.map(|found| found.path),
        drivers_file: drivers_file.map(|found| found.path),
        slots,
        env,
        api_tokens,
    };
    finish(config, issues)
}

/// A file to read: its absolute path, and what named it if it was named
/// explicitly (then it must exist).
struct Found {
    path: PathBuf,
    named_by: Option<String>,
}

fn locate_config(overrides: &Overrides, env: &Environment, wd: &Path) -> Option<Found> {
    if let Some(path) = &overrides.config {
        return Some(Found {
            path: absolutize(wd, path),
            named_by: Some("--config".to_owned()),
        });
    }
    if let Some(path) = env.non_empty("PADDOCK_CONFIG") {
        return Some(Found {
            path: absolutize(wd, Path::new(path)),
            named_by: Some("PADDOCK_CONFIG".to_owned()),
        });
    }
    let default = wd.join("paddock.toml");
    default.is_file().then_some(Found {
        path: default,
        named_by: None,
    })
}

/// `PADDOCK_DRIVERS` > `[server] drivers` > `./config/drivers.toml` if it exists.
fn locate_drivers(
    env: &Environment,
    wd: &Path,
    paddock: Option<&PaddockToml>,
    server: &server::Section,
) -> Option<Found> {
    if let Some(path) = env.non_empty("PADDOCK_DRIVERS") {
        return Some(Found {
            path: absolutize(wd, Path::new(path)),
            named_by: Some("PADDOCK_DRIVERS".to_owned()),
        });
    }
    if let (Some(paddock), Some(path)) = (paddock, &server.drivers) {
        return Some(Found {
            path: absolutize(&folder_of(&paddock.origin), Path::new(path)),
            named_by: Some(format!("[server] drivers in {}", paddock.origin.display())),
        });
    }
    let default = wd.join("config").join("drivers.toml");
    default.is_file().then_some(Found {
        path: default,
        named_by: None,
    })
}

/// A file parser that keeps the well-formed part of a file with problems.
type PartialParser<T> = fn(&str, &Path) -> Result<(T, Vec<Issue>), ConfigError>;

fn read_and_parse<T>(found: &Found, parse: PartialParser<T>, issues: &mut Vec<Issue>) -> Option<T> {
    let text = match std::fs::read_to_string(&found.path) {
        Ok(text) => text,
        Err(e) => {
            issues.push(match &found.named_by {
                Some(named_by) if e.kind() == std::io::ErrorKind::NotFound => Issue::FileNotFound {
                    path: found.path.clone(),
                    named_by: named_by.clone(),
                },
                _ => Issue::ReadFile {
                    path: found.path.clone(),
                    reason: e.to_string(),
                },
            });
            return None;
        }
    };
    match parse(&text, &found.path) {
        Ok((parsed, problems)) => {
            // Keep the well-formed rest, so its problems are reported too.
            issues.extend(problems);
            Some(parsed)
        }
        Err(e) => {
            issues.extend(e.into_issues());
            None
        }
    }
}
