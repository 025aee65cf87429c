//! paddock's daemon configuration: files + environment → [`Config`].
//!
//! Pure Rust, no WebAssembly runtime: the host's CLI, `paddock check` and
//! fuzzers use it alike.
//!
//! # Inputs
//!
//! - An [`Environment`]: the process environment laid over a `.env` file
//!   (the process wins). Building one never changes the process environment.
//! - `paddock.toml` (`--config`, else `PADDOCK_CONFIG`, else `./paddock.toml`
//!   if it exists), parsed by [`parse_paddock_toml`].
//! - garage-mcp's `config/drivers.toml` (`PADDOCK_DRIVERS`, else
//!   `[server] drivers`, else `./config/drivers.toml` if it exists), parsed by
//!   [`parse_drivers_toml`].
//! - [`Overrides`] from the command line.
//!
//! Every string value of both files goes through `${VAR}` /
//! `${VAR:-default}` interpolation (`$$` is a literal `$`); see
//! [`interpolate()`]. Unknown keys are rejected with their path and the
//! valid keys.
//!
//! # Slots and drivers
//!
//! The slots are `db` (also called `database`), `storage`, `frontend` and
//! `backend`, plus any `[slots.<name>]` in `paddock.toml`. Environment
//! variables choose drivers but never create slots. Driver priority, highest
//! first: `<SLOT>_DRIVER` ([`env_var_for_slot`]); for `db`, `DATABASE_TYPE`
//! then `DATABASE_URL`; `paddock.toml`; `config/drivers.toml`; the built-in
//! default ([`BUILTIN_SLOTS`]). Each slot records where its driver came from
//! ([`DriverSource`]).
//!
//! # Errors
//!
//! [`load`] collects every problem it can before failing; a [`ConfigError`]
//! renders them one per line.
//!
//! ```
//! use std::collections::BTreeMap;
//! use paddock_config::{Environment, Overrides, load_in};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let env = Environment::from_map(BTreeMap::from([
//!     ("DB_DRIVER".to_owned(), "neon".to_owned()),
//! ]));
//! let config = load_in(&Overrides::default(), env, dir.path()).unwrap();
//! let db = config.slot("database").unwrap();
//! assert_eq!(db.driver, "neon");
//! assert_eq!(db.driver_source.describe(), "env DB_DRIVER");
//! assert_eq!(config.slot("storage").unwrap().driver, "local");
//! assert_eq!(config.listen.to_string(), "127.0.0.1:7001");
//! ```

#![deny(missing_docs)]

mod env;
mod error;
mod files;
mod interpolate;
mod model;
mod paths;
mod resolve;
mod select;

pub use env::Environment;
pub use error::{ConfigError, Issue, Location};
pub use files::{
    ApiSection, DRIVERS_TOML_SECTIONS, DriverEntry, DriversSection, DriversToml, FolderSection,
    GrantsSection, PaddockToml, ServerSection, SlotSection, TokenSection, parse_drivers_toml,
    parse_paddock_toml,
};
pub use interpolate::interpolate;
pub use model::{
    ApiToken, Config, DriverSource, FolderAccess, FolderGrant, GrantRequest, Grants, SlotConfig,
};
pub use resolve::{
    API_TOKEN_VAR, DEFAULT_DATA_DIR, DEFAULT_LISTEN, Overrides, load, load_from_process, load_in,
};
pub use select::{
    BUILTIN_SLOTS, canonical_slot_name, driver_for_database_type, driver_for_database_url,
    env_var_for_slot, is_valid_name, redact_url,
};
