//! The raw form of `paddock.toml`: checked for shape and unknown keys, but
//! not yet interpolated, defaulted or merged with anything else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

use super::walk::{Walker, key_path};
use crate::error::{ConfigError, Issue, finish};
use crate::select::{canonical_slot_name, is_valid_name};

const TOP_KEYS: &[&str] = &["server", "slots", "api"];
const API_KEYS: &[&str] = &["tokens"];
const TOKEN_KEYS: &[&str] = &["name", "token", "slots", "verbs"];
const SERVER_KEYS: &[&str] = &["listen", "plugins", "data", "drivers"];
const SLOT_KEYS: &[&str] = &["driver", "settings", "grants"];
const GRANT_KEYS: &[&str] = &[
    "http",
    "secrets",
    "secret_hosts",
    "reveal",
    "tcp",
    "folder",
    "state",
];
const FOLDER_KEYS: &[&str] = &["path", "access"];

/// `paddock.toml` as written. String values are not yet interpolated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaddockToml {
    /// The file it was read from (as given to [`parse_paddock_toml`]).
    pub origin: PathBuf,
    /// `[server]`.
    pub server: ServerSection,
    /// `[slots.<name>]`, by canonical slot name (`[slots.database]` is `db`).
    pub slots: BTreeMap<String, SlotSection>,
    /// `[api]`.
    pub api: ApiSection,
}

/// `[api]`: who may call the HTTP API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiSection {
    /// `[[api.tokens]]`, in file order.
    pub tokens: Vec<TokenSection>,
}

/// One `[[api.tokens]]` entry as written.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenSection {
    /// `name = "ci"`: how the token is named in logs (the token never is).
    pub name: Option<String>,
    /// `token = "${PADDOCK_CI_TOKEN}"`.
    pub token: Option<String>,
    /// `slots = ["storage"]`; unset means every slot.
    pub slots: Option<Vec<String>>,
    /// `verbs = ["get", "list"]`; unset means every verb.
    pub verbs: Option<Vec<String>>,
    /// The 1-based line of the entry.
    pub line: usize,
}

impl std::fmt::Debug for TokenSection {
    /// Leaves the token out: it may be written in the file itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSection")
            .field("name", &self.name)
            .field("slots", &self.slots)
            .field("verbs", &self.verbs)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// `[server]`: every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSection {
    /// `listen = "127.0.0.1:7001"`.
    pub listen: Option<String>,
    /// `plugins = ".paddock/plugins"`: the folder of driver `.wasm` files.
    pub plugins: Option<String>,
    /// `data = ".paddock"`: the data folder.
    pub data: Option<String>,
    /// `drivers = "config/drivers.toml"`: a garage-mcp style drivers file.
    pub drivers: Option<String>,
}

/// `[slots.<name>]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotSection {
    /// The name as written (`database` for `[slots.database]`).
    pub written_name: String,
    /// The 1-based line where the slot's table starts.
    pub line: usize,
    /// `driver = "..."`.
    pub driver: Option<String>,
    /// `[slots.<name>.settings]`; numbers and booleans kept as their text.
    pub settings: BTreeMap<String, String>,
    /// `[slots.<name>.grants]`.
    pub grants: GrantsSection,
}

/// `[slots.<name>.grants]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantsSection {
    /// `http = ["https://api.example.com", "https://*.example.com"]`.
    pub http: Vec<String>,
    /// `secrets = ["API_KEY"]`.
    pub secrets: Vec<String>,
    /// `secret_hosts = { API_KEY = ["https://api.example.com"] }`: the
    /// origins a secret is substituted for; unset, the slot's `http` grant.
    pub secret_hosts: BTreeMap<String, Vec<String>>,
    /// `reveal = ["API_KEY"]`: secrets the driver may read in plain text.
    pub reveal: Vec<String>,
    /// `tcp = ["127.0.0.1:5432"]`.
    pub tcp: Vec<String>,
    /// `folder = { path = "...", access = "read-only" }` or `folder = "..."`.
    pub folder: Option<FolderSection>,
    /// `state = true|false`; unset means true.
    pub state: Option<bool>,
}

/// A folder grant as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderSection {
    /// The path; relative paths are relative to the config file's folder.
    pub path: String,
    /// `read-only` or `read-write`; unset means `read-only`.
    pub access: Option<String>,
}

/// Parses `paddock.toml` text. `origin` names the file in messages and is
/// kept in [`PaddockToml::origin`]. Every problem found is reported.
pub fn parse_paddock_toml(text: &str, origin: &Path) -> Result<PaddockToml, ConfigError> {
    let (parsed, issues) = parse_partial(text, origin)?;
    finish(parsed, issues)
}

/// The document with every well-formed part kept, and the problems found in
/// the rest; `Err` only when the text is not TOML at all.
pub(crate) fn parse_partial(
    text: &str,
    origin: &Path,
) -> Result<(PaddockToml, Vec<Issue>), ConfigError> {
    let (mut w, doc) = Walker::parse(text, origin)?;
    let mut out = PaddockToml {
        origin: origin.to_owned(),
        ..PaddockToml::default()
    };
    for (key, value) in doc.get_ref().iter() {
        match key.get_ref().as_ref() {
            "server" => {
                if let Some(table) = w.table(value, "server") {
                    out.server = server(&mut w, table);
                }
            }
            "slots" => {
                if let Some(table) = w.table(value, "slots") {
                    slots(&mut w, table, &mut out.slots);
                }
            }
            "api" => {
                if let Some(table) = w.table(value, "api") {
                    out.api = api(&mut w, table);
                }
            }
            other => w.unknown_key(key, &key_path("", other), TOP_KEYS),
        }
    }
    Ok((out, w.issues))
}

fn server(w: &mut Walker<'_>, table: &DeTable<'_>) -> ServerSection {
    let mut out = ServerSection::default();
    for (key, value) in table.iter() {
        let path = key_path("server", key.get_ref());
        let slot = match key.get_ref().as_ref() {
            "listen" => &mut out.listen,
            "plugins" => &mut out.plugins,
            "data" => &mut out.data,
            "drivers" => &mut out.drivers,
            _ => {
                w.unknown_key(key, &path, SERVER_KEYS);
                continue;
            }
        };
        *slot = w.string(value, &path);
    }
    out
}

fn slots(w: &mut Walker<'_>, table: &DeTable<'_>, out: &mut BTreeMap<String, SlotSection>) {
    for (key, value) in table.iter() {
        let written = key.get_ref().as_ref();
        let path = key_path("slots", written);
        if !is_valid_name(written) {
            w.issues.push(Issue::InvalidSlotName {
                location: w.line_location(key.span()),
                name: written.to_owned(),
            });
            continue;
        }
        let Some(table) = w.table(value, &path) else {
            continue;
        };
        let canonical = canonical_slot_name(written);
        if out.contains_key(canonical) {
            w.issues.push(Issue::DuplicateSlot {
                location: w.line_location(key.span()),
                written: written.to_owned(),
                slot: canonical.to_owned(),
            });
            continue;
        }
        let line = w.location(key.span()).line.unwrap_or(1);
        let slot = slot(w, table, &path, written, line);
        out.insert(canonical.to_owned(), slot);
    }
}

fn slot(
    w: &mut Walker<'_>,
    table: &DeTable<'_>,
    prefix: &str,
    written: &str,
    line: usize,
) -> SlotSection {
    let mut out = SlotSection {
        written_name: written.to_owned(),
        line,
        ..SlotSection::default()
    };
    for (key, value) in table.iter() {
        let path = key_path(prefix, key.get_ref());
        match key.get_ref().as_ref() {
            "driver" => out.driver = w.string(value, &path),
            "settings" => {
                if let Some(settings) = w.table(value, &path) {
                    for (name, v) in settings.iter() {
                        let setting_path = key_path(&path, name.get_ref());
                        if let Some(text) = w.scalar(v, &setting_path) {
                            out.settings.insert(name.get_ref().to_string(), text);
                        }
                    }
                }
            }
            "grants" => {
                if let Some(grants) = w.table(value, &path) {
                    out.grants = self::grants(w, grants, &path);
                }
            }
            _ => w.unknown_key(key, &path, SLOT_KEYS),
        }
    }
    out
}

fn grants(w: &mut Walker<'_>, table: &DeTable<'_>, prefix: &str) -> GrantsSection {
    let mut out = GrantsSection::default();
    for (key, value) in table.iter() {
        let path = key_path(prefix, key.get_ref());
        match key.get_ref().as_ref() {
            "http" => out.http = w.string_list(value, &path),
            "secrets" => out.secrets = w.string_list(value, &path),
            "reveal" => out.reveal = w.string_list(value, &path),
            "secret_hosts" => {
                if let Some(hosts) = w.table(value, &path) {
                    for (name, origins) in hosts.iter() {
                        let list = w.string_list(origins, &key_path(&path, name.get_ref()));
                        out.secret_hosts.insert(name.get_ref().to_string(), list);
                    }
                }
            }
            "tcp" => out.tcp = w.string_list(value, &path),
            "state" => out.state = w.bool(value, &path),
            "folder" => out.folder = folder(w, value, &path),
            _ => w.unknown_key(key, &path, GRANT_KEYS),
        }
    }
    out
}

fn api(w: &mut Walker<'_>, table: &DeTable<'_>) -> ApiSection {
    let mut out = ApiSection::default();
    for (key, value) in table.iter() {
        let path = key_path("api", key.get_ref());
        match key.get_ref().as_ref() {
            "tokens" => {
                let toml::de::DeValue::Array(items) = value.get_ref() else {
                    w.table(value, &path); // reports the wrong type
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    if let Some(entry) = w.table(item, &item_path) {
                        let line = w.location(item.span()).line.unwrap_or(1);
                        out.tokens.push(token(w, entry, &item_path, line));
                    }
                }
            }
            _ => w.unknown_key(key, &path, API_KEYS),
        }
    }
    out
}

fn token(w: &mut Walker<'_>, table: &DeTable<'_>, prefix: &str, line: usize) -> TokenSection {
    let mut out = TokenSection {
        line,
        ..TokenSection::default()
    };
    for (key, value) in table.iter() {
        let path = key_path(prefix, key.get_ref());
        match key.get_ref().as_ref() {
            "name" => out.name = w.string(value, &path),
            "token" => out.token = w.string(value, &path),
            "slots" => out.slots = Some(w.string_list(value, &path)),
            "verbs" => out.verbs = Some(w.string_list(value, &path)),
            _ => w.unknown_key(key, &path, TOKEN_KEYS),
        }
    }
    out
}

fn folder(
    w: &mut Walker<'_>,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    path: &str,
) -> Option<FolderSection> {
    if let toml::de::DeValue::String(s) = value.get_ref() {
        return Some(FolderSection {
            path: s.to_string(),
            access: None,
        });
    }
    let table = w.table(value, path)?;
    let mut folder_path = None;
    let mut access = None;
    for (key, v) in table.iter() {
        let key_path = key_path(path, key.get_ref());
        match key.get_ref().as_ref() {
            "path" => folder_path = w.string(v, &key_path),
            "access" => access = w.string(v, &key_path),
            _ => w.unknown_key(key, &key_path, FOLDER_KEYS),
        }
    }
    if folder_path.is_none() && !table.contains_key("path") {
        w.missing_key(
            value.span(),
            &format!("{path}.path"),
            "folder = { path = \"data\", access = \"read-write\" }",
        );
    }
    Some(FolderSection {
        path: folder_path?,
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PaddockToml, ConfigError> {
        parse_paddock_toml(text, Path::new("/app/paddock.toml"))
    }

    #[test]
    fn parses_the_documented_example() {
        let doc = parse(
            r#"
[server]
listen = "127.0.0.1:7001"
plugins = ".paddock/plugins"
data = ".paddock"

[slots.db]
driver = "sqlite"
[slots.db.settings]
path = "app.db"
pool = 4
wal = true
[slots.db.grants]
http = ["https://console.neon.tech", "https://*.neon.tech"]
secrets = ["NEON_API_KEY"]
tcp = ["127.0.0.1:5432"]
folder = { path = "data/db", access = "read-write" }
state = false

[slots.archive]
driver = "s3"
"#,
        )
        .unwrap();
        assert_eq!(doc.server.listen.as_deref(), Some("127.0.0.1:7001"));
        assert_eq!(doc.server.plugins.as_deref(), Some(".paddock/plugins"));
        let db = &doc.slots["db"];
        assert_eq!(db.driver.as_deref(), Some("sqlite"));
        assert_eq!(db.settings["path"], "app.db");
        assert_eq!(db.settings["pool"], "4");
        assert_eq!(db.settings["wal"], "true");
        assert_eq!(db.grants.http.len(), 2);
        assert_eq!(db.grants.secrets, ["NEON_API_KEY"]);
        assert_eq!(db.grants.tcp, ["127.0.0.1:5432"]);
        let folder = db.grants.folder.as_ref().unwrap();
        assert_eq!(folder.path, "data/db");
        assert_eq!(folder.access.as_deref(), Some("read-write"));
        assert_eq!(db.grants.state, Some(false));
        assert_eq!(doc.slots["archive"].driver.as_deref(), Some("s3"));
        assert_eq!(doc.slots["archive"].line, 20);
    }

    #[test]
    fn unknown_keys_name_their_path_and_the_valid_keys() {
        let err =
            parse("[server]\nlisten = \"x\"\nport = 1\n[slots.db.grants]\nhtp = []\n[extra]\n")
                .unwrap_err();
        let text = err.to_string();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines.contains(
                &"/app/paddock.toml:6: unknown key `extra`; valid keys here are: server, slots, api"
            ),
            "{text}"
        );
        assert!(lines.contains(&"/app/paddock.toml:3: unknown key `server.port`; valid keys here are: listen, plugins, data, drivers"), "{text}");
        assert!(lines.contains(&"/app/paddock.toml:5: unknown key `slots.db.grants.htp` (did you mean `http`?); valid keys here are: http, secrets, secret_hosts, reveal, tcp, folder, state"), "{text}");
    }

    #[test]
    fn bad_slot_names_are_rejected() {
        for name in ["Db", "1db", "\"a b\"", "\"\"", "_x"] {
            let err = parse(&format!("[slots.{name}]\ndriver = \"x\"\n")).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("invalid slot name"), "{name}: {text}");
            assert!(text.contains("starting with a letter"), "{name}: {text}");
        }
        let long = "a".repeat(64);
        assert!(parse(&format!("[slots.{long}]\n")).is_err());
        let ok = "a".repeat(63);
        assert!(parse(&format!("[slots.{ok}]\n")).is_ok());
        assert!(parse("[slots.analytics-db]\n[slots.a_b2]\n").is_ok());
    }

    #[test]
    fn database_is_an_alias_for_db() {
        let doc = parse("[slots.database]\ndriver = \"neon\"\n").unwrap();
        assert_eq!(doc.slots["db"].driver.as_deref(), Some("neon"));
        assert_eq!(doc.slots["db"].written_name, "database");
        let err = parse("[slots.db]\n[slots.database]\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("configures slot `db` a second time"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_and_syntax_errors_are_reported() {
        let err =
            parse("[server]\nlisten = 7001\n[slots.db.grants]\nhttp = \"x\"\nstate = \"yes\"\n")
                .unwrap_err();
        assert_eq!(err.issues().len(), 3, "{err}");
        assert!(
            err.to_string()
                .contains("/app/paddock.toml:2: `server.listen` must be a string, found integer"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("`slots.db.grants.http` must be an array of strings"),
            "{err}"
        );
        let err = parse("[server\n").unwrap_err();
        assert!(err.to_string().starts_with("/app/paddock.toml:1:"), "{err}");
        assert!(err.to_string().contains("invalid TOML"), "{err}");
    }

    #[test]
    fn folder_shorthand_and_missing_path() {
        let doc = parse("[slots.db.grants]\nfolder = \"data\"\n").unwrap();
        assert_eq!(doc.slots["db"].grants.folder.as_ref().unwrap().path, "data");
        let err = parse("[slots.db.grants]\nfolder = { access = \"read-only\" }\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("`slots.db.grants.folder.path` is missing"),
            "{err}"
        );
    }
}
