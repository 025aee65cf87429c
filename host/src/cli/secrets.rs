//! `paddock secrets set|list|rm|keygen`: the encrypted vault in the data
//! folder. Values are read from standard input, never from the command line
//! (where `ps` and shell history would keep them), and never printed.

use super::{ConfigArgs, config_failed, exit};
use crate::capabilities::vault::{MASTER_KEY_VAR, Vault, generate_key};
use std::io::{IsTerminal, Read, Write};

/// The `secrets` subcommands.
#[derive(clap::Subcommand)]
pub enum SecretsCommand {
    /// Store a secret; the value is read from standard input:
    /// `printf %s "$TOKEN" | paddock secrets set VERCEL_TOKEN`.
    Set {
        /// The secret's name, like an environment variable's.
        name: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// List the names of the stored secrets (never their values).
    List {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Remove a secret.
    Rm {
        /// The secret's name.
        name: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print a new random master key for PADDOCK_MASTER_KEY.
    Keygen,
}

/// Runs a `secrets` subcommand.
pub fn run(command: SecretsCommand) -> u8 {
    let (config, name) = match &command {
        SecretsCommand::Keygen => {
            println!("{}", generate_key());
            eprintln!(
                "keep it outside the data folder, and set it as {MASTER_KEY_VAR} wherever paddock runs"
            );
            return exit::OK;
        }
        SecretsCommand::Set { name, config } | SecretsCommand::Rm { name, config } => {
            (config, Some(name))
        }
        SecretsCommand::List { config } => (config, None),
    };
    let config = match config.load() {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    let path = Vault::path_for(&config);
    let mut vault = match Vault::open(&path, config.env.non_empty(MASTER_KEY_VAR)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::CONFIG;
        }
    };
    let result = match (&command, name) {
        (SecretsCommand::Set { .. }, Some(name)) => read_value(name)
            .and_then(|value| vault.set(name, &value).map_err(|e| e.to_string()))
            .map(|()| eprintln!("stored {name} in {}", path.display())),
        (SecretsCommand::Rm { .. }, Some(name)) => match vault.remove(name) {
            Ok(true) => {
                eprintln!("removed {name} from {}", path.display());
                Ok(())
            }
            Ok(false) => Err(format!(
                "no secret named {name} in {} (see `paddock secrets list`)",
                path.display()
            )),
            Err(e) => Err(e.to_string()),
        },
        _ => {
            for name in vault.names() {
                println!("{name}");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::CALL_FAILED
        }
    }
}

/// The value from standard input, without its final line break.
fn read_value(name: &str) -> Result<String, String> {
    let stdin = std::io::stdin();
    let mut value = String::new();
    if stdin.is_terminal() {
        eprint!("value of {name} (input is shown; pipe it in to avoid that): ");
        let _ = std::io::stderr().flush();
        stdin
            .read_line(&mut value)
            .map_err(|e| format!("reading the value: {e}"))?;
    } else {
        stdin
            .lock()
            .read_to_string(&mut value)
            .map_err(|e| format!("reading the value from standard input: {e}"))?;
    }
    let value = value
        .strip_suffix('\n')
        .map(|v| v.strip_suffix('\r').unwrap_or(v))
        .unwrap_or(&value);
    if value.is_empty() {
        return Err(format!(
            "the value of {name} is empty: pipe it in, e.g. `printf %s \"$VALUE\" | paddock secrets set {name}`"
        ));
    }
    Ok(value.to_string())
}
