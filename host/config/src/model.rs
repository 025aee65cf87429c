//! The resolved configuration: what the daemon runs with.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::env::Environment;
use crate::select::canonical_slot_name;

/// The fully resolved daemon configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The HTTP listen address.
    pub listen: SocketAddr,
    /// The folder of driver `.wasm` files (absolute).
    pub plugins_dir: PathBuf,
    /// The data folder: cache, slot folders (absolute).
    pub data_dir: PathBuf,
    /// The `paddock.toml` used, if any (absolute).
    pub config_file: Option<PathBuf>,
    /// The `config/drivers.toml` used, if any (absolute).
    pub drivers_file: Option<PathBuf>,
    /// Every slot, by canonical name: the built-in four plus the configured ones.
    pub slots: BTreeMap<String, SlotConfig>,
    /// The variables this was resolved against; secrets and settings fall back to them.
    pub env: Environment,
    /// Bearer tokens the HTTP API accepts; empty means the API is open,
    /// which is allowed only on a loopback `listen` address.
    pub api_tokens: Vec<ApiToken>,
}

/// A bearer token of the HTTP API and what it may call.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// How the token is named in logs and errors (the token never is).
    pub name: String,
    /// The token itself.
    pub token: String,
    /// Canonical slot names it may call; `*` is every slot.
    pub slots: Vec<String>,
    /// Verbs it may call; `*` is every verb.
    pub verbs: Vec<String>,
}

impl ApiToken {
    /// Whether the token may call `verb` on `slot` (canonical name).
    pub fn allows(&self, slot: &str, verb: &str) -> bool {
        let any = |list: &[String], item: &str| list.iter().any(|s| s == "*" || s == item);
        any(&self.slots, slot) && any(&self.verbs, verb)
    }
}

impl std::fmt::Debug for ApiToken {
    /// Leaves the token out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("name", &self.name)
            .field("slots", &self.slots)
            .field("verbs", &self.verbs)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The slot called `name`; `database` finds `db`.
    pub fn slot(&self, name: &str) -> Option<&SlotConfig> {
        self.slots.get(canonical_slot_name(name))
    }
}

/// One slot: which driver serves it, with which settings and grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotConfig {
    /// The canonical slot name (`db`, never `database`).
    pub name: String,
    /// The driver's name.
    pub driver: String,
    /// Where the driver choice came from.
    pub driver_source: DriverSource,
    /// Settings for the driver, interpolated: `drivers.toml` section keys,
    /// overridden by `[slots.<name>.settings]`, plus `url` from `DATABASE_URL`
    /// for `db` when neither sets `url`. They belong to the slot, whichever
    /// driver is chosen; the driver's own schema validates them.
    pub settings: BTreeMap<String, String>,
    /// What the operator lends the driver.
    pub grants: Grants,
    /// Variables the chosen driver needs, from `drivers.toml`'s
    /// `[<section>.drivers.<driver>] required_env`; not checked by loading
    /// (see [`SlotConfig::missing_env`]).
    pub required_env: Vec<String>,
}

impl SlotConfig {
    /// The entries of [`SlotConfig::required_env`] that are unset or empty in `env`.
    pub fn missing_env(&self, env: &Environment) -> Vec<String> {
        self.required_env
            .iter()
            .filter(|name| env.non_empty(name).is_none())
            .cloned()
            .collect()
    }

    /// The `paddock.toml` line that would grant something, for error messages:
    /// `[slots.db.grants] http = ["https://api.example.com"]`. Existing
    /// entries of the same list are kept in the line, so it can replace the old one.
    ///
    /// `grant` is read by [`GrantRequest::parse`]: `https://host`, `tcp:host:port`,
    /// `secret:NAME`, `folder:/path`, `folder:read-write:/path`, `state`, or a
    /// bare value whose kind is guessed.
    pub fn config_hint(&self, grant: &str) -> String {
        self.grant_hint(&GrantRequest::parse(grant))
    }

    /// [`SlotConfig::config_hint`] for an already typed request.
    pub fn grant_hint(&self, grant: &GrantRequest) -> String {
        let list = |key: &str, existing: &[String], new: &str| {
            let mut items: Vec<&str> = existing.iter().map(String::as_str).collect();
            if !items.contains(&new) {
                items.push(new);
            }
            let items: Vec<String> = items.into_iter().map(toml_string).collect();
            format!("{key} = [{}]", items.join(", "))
        };
        let line = match grant {
            GrantRequest::Http(origin) => list("http", &self.grants.http, origin),
            GrantRequest::Secret(name) => list("secrets", &self.grants.secrets, name),
            GrantRequest::Reveal(name) => {
                let secrets = list("secrets", &self.grants.secrets, name);
                format!("{secrets}, {}", list("reveal", &self.grants.reveal, name))
            }
            GrantRequest::Tcp(addr) => list("tcp", &self.grants.tcp, addr),
            GrantRequest::Folder { path, access } => format!(
                "folder = {{ path = {}, access = {} }}",
                toml_string(&path.to_string_lossy()),
                toml_string(access.as_str())
            ),
            GrantRequest::State => "state = true".to_owned(),
        };
        format!("[slots.{}.grants] {line}", self.name)
    }
}

/// A TOML string literal for `s`.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Something a driver may be granted, for [`SlotConfig::grant_hint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRequest {
    /// Outbound HTTP to an origin, e.g. `https://api.example.com`.
    Http(String),
    /// A named secret, e.g. `NEON_API_KEY`.
    Secret(String),
    /// Reading a named secret in plain text.
    Reveal(String),
    /// TCP to `host:port`.
    Tcp(String),
    /// A folder.
    Folder {
        /// The folder.
        path: PathBuf,
        /// How it may be used.
        access: FolderAccess,
    },
    /// The slot's state folder.
    State,
}

impl GrantRequest {
    /// Reads `kind:value` (`http:`, `secret:`/`secrets:`, `tcp:`, `folder:`
    /// with an optional `read-only:`/`read-write:` after it) or `state`.
    /// Without a known kind, guesses: `http(s)://…` is HTTP, a path starting
    /// with `/` or `.` a read-only folder, an `UPPER_CASE` name a secret,
    /// `host:port` TCP, anything else an HTTP origin.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if text == "state" {
            return GrantRequest::State;
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return GrantRequest::Http(text.to_owned());
        }
        if let Some((kind, value)) = text.split_once(':') {
            match kind {
                "http" => return GrantRequest::Http(value.to_owned()),
                "secret" | "secrets" => return GrantRequest::Secret(value.to_owned()),
                "reveal" => return GrantRequest::Reveal(value.to_owned()),
                "tcp" => return GrantRequest::Tcp(value.to_owned()),
                "folder" => {
                    let (access, path) = match value.split_once(':') {
                        Some(("read-write", path)) => (FolderAccess::ReadWrite, path),
                        Some(("read-only", path)) => (FolderAccess::ReadOnly, path),
                        _ => (FolderAccess::ReadOnly, value),
                    };
                    return GrantRequest::Folder {
                        path: PathBuf::from(path),
                        access,
                    };
                }
                _ => {}
            }
        }
        if text.starts_with(['/', '.']) {
            return GrantRequest::Folder {
                path: PathBuf::from(text),
                access: FolderAccess::ReadOnly,
            };
        }
        let secret_like = text.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if secret_like {
            return GrantRequest::Secret(text.to_owned());
        }
        let port_like = text
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
        if port_like {
            GrantRequest::Tcp(text.to_owned())
        } else {
            GrantRequest::Http(text.to_owned())
        }
    }
}

/// What a slot's driver is lent. Empty lists grant nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    /// Origins the driver may call: `scheme://host[:port]`, wildcards like `https://*.neon.tech`.
    pub http: Vec<String>,
    /// Secret names the driver may use.
    pub secrets: Vec<String>,
    /// Origins each secret is substituted for, when narrower than `http`.
    pub secret_hosts: BTreeMap<String, Vec<String>>,
    /// Secrets the driver may read in plain text (each also in `secrets`).
    pub reveal: Vec<String>,
    /// `host:port` endpoints the driver may connect to.
    pub tcp: Vec<String>,
    /// A folder the driver may use.
    pub folder: Option<FolderGrant>,
    /// Whether the driver gets its own state folder under the data folder. Default true.
    pub state: bool,
}

impl Default for Grants {
    /// Nothing granted, except the slot's state folder.
    fn default() -> Self {
        Grants {
            http: Vec::new(),
            secrets: Vec::new(),
            secret_hosts: BTreeMap::new(),
            reveal: Vec::new(),
            tcp: Vec::new(),
            folder: None,
            state: true,
        }
    }
}

/// A folder grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderGrant {
    /// The folder, absolute (a relative path in `paddock.toml` is relative to
    /// that file's folder). Not checked for existence here.
    pub path: PathBuf,
    /// How it may be used.
    pub access: FolderAccess,
}

/// How a granted folder may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderAccess {
    /// `access = "read-only"` (the default).
    ReadOnly,
    /// `access = "read-write"`.
    ReadWrite,
}

impl FolderAccess {
    /// The spelling used in `paddock.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            FolderAccess::ReadOnly => "read-only",
            FolderAccess::ReadWrite => "read-write",
        }
    }

    /// Reads `read-only` or `read-write`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read-only" => Some(FolderAccess::ReadOnly),
            "read-write" => Some(FolderAccess::ReadWrite),
            _ => None,
        }
    }
}

/// Where a slot's driver choice came from, highest priority first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverSource {
    /// `<SLOT>_DRIVER` (or `DATABASE_DRIVER` for `db`).
    Env {
        /// The variable.
        var: String,
    },
    /// `DATABASE_TYPE` (slot `db` only).
    DatabaseType {
        /// Its value.
        value: String,
    },
    /// `DATABASE_URL`'s scheme (slot `db` only).
    DatabaseUrl {
        /// The URL with credentials redacted; the real one is in the `url` setting.
        redacted: String,
    },
    /// `[slots.<name>] driver` in `paddock.toml`.
    PaddockToml {
        /// The file.
        path: PathBuf,
    },
    /// A `config/drivers.toml` section.
    DriversToml {
        /// The file.
        path: PathBuf,
    },
    /// The built-in default.
    Default,
}

impl DriverSource {
    /// For `paddock slots`: `env DB_DRIVER`, `DATABASE_TYPE=supabase`,
    /// `DATABASE_URL (postgres://***@host/db)`, `paddock.toml (/abs/path)`,
    /// `drivers.toml (/abs/path)`, `default`. Never shows a password.
    pub fn describe(&self) -> String {
        match self {
            DriverSource::Env { var } => format!("env {var}"),
            DriverSource::DatabaseType { value } => format!("DATABASE_TYPE={value}"),
            DriverSource::DatabaseUrl { redacted } => format!("DATABASE_URL ({redacted})"),
            DriverSource::PaddockToml { path } => format!("paddock.toml ({})", path.display()),
            DriverSource::DriversToml { path } => format!("drivers.toml ({})", path.display()),
            DriverSource::Default => "default".to_owned(),
        }
    }
}

impl fmt::Display for DriverSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> SlotConfig {
        SlotConfig {
            name: "db".into(),
            driver: "neon".into(),
            driver_source: DriverSource::Default,
            settings: BTreeMap::new(),
            grants: Grants {
                http: vec!["https://console.neon.tech".into()],
                ..Grants::default()
            },
            required_env: vec!["NEON_API_KEY".into(), "NEON_PROJECT_ID".into()],
        }
    }

    #[test]
    fn hints_are_toml_lines() {
        let s = slot();
        assert_eq!(
            s.config_hint("https://api.example.com"),
            r#"[slots.db.grants] http = ["https://console.neon.tech", "https://api.example.com"]"#
        );
        assert_eq!(
            s.config_hint("NEON_API_KEY"),
            r#"[slots.db.grants] secrets = ["NEON_API_KEY"]"#
        );
        assert_eq!(
            s.config_hint("127.0.0.1:5432"),
            r#"[slots.db.grants] tcp = ["127.0.0.1:5432"]"#
        );
        assert_eq!(
            s.config_hint("tcp:db:5432"),
            r#"[slots.db.grants] tcp = ["db:5432"]"#
        );
        assert_eq!(
            s.config_hint("folder:read-write:/srv/data"),
            r#"[slots.db.grants] folder = { path = "/srv/data", access = "read-write" }"#
        );
        assert_eq!(
            s.config_hint("./data"),
            r#"[slots.db.grants] folder = { path = "./data", access = "read-only" }"#
        );
        assert_eq!(s.config_hint("state"), "[slots.db.grants] state = true");
        assert_eq!(
            s.config_hint("https://console.neon.tech"),
            r#"[slots.db.grants] http = ["https://console.neon.tech"]"#
        );
    }

    #[test]
    fn describes_sources() {
        assert_eq!(
            DriverSource::Env {
                var: "DB_DRIVER".into()
            }
            .describe(),
            "env DB_DRIVER"
        );
        assert_eq!(
            DriverSource::PaddockToml {
                path: "/a/paddock.toml".into()
            }
            .to_string(),
            "paddock.toml (/a/paddock.toml)"
        );
        assert_eq!(
            DriverSource::DriversToml {
                path: "/a/config/drivers.toml".into()
            }
            .describe(),
            "drivers.toml (/a/config/drivers.toml)"
        );
        assert_eq!(DriverSource::Default.describe(), "default");
        assert_eq!(
            DriverSource::DatabaseType {
                value: "supabase".into()
            }
            .describe(),
            "DATABASE_TYPE=supabase"
        );
    }

    #[test]
    fn missing_env_lists_unset_required_names() {
        let s = slot();
        let env = Environment::from_map(BTreeMap::from([
            ("NEON_API_KEY".to_owned(), "k".to_owned()),
            ("NEON_PROJECT_ID".to_owned(), String::new()),
        ]));
        assert_eq!(s.missing_env(&env), ["NEON_PROJECT_ID"]);
    }
}
