//! The raw form of garage-mcp's `config/drivers.toml`, honoured for
//! compatibility:
//!
//! ```toml
//! [database]            # slot `db`; also [frontend], [backend], [storage]
//! driver = "neon"
//! region = "us-east-2"  # any other scalar key: a setting of that slot
//!
//! [database.drivers.planetscale]   # driver catalogue: not used for selection
//! description = "PlanetScale serverless MySQL"
//! required_env = ["PLANETSCALE_TOKEN", "PLANETSCALE_ORG"]
//! ```
//!
//! Unknown sections are rejected. Inside a `drivers.<name>` entry only
//! `description` and `required_env` are read; other keys there are
//! descriptive metadata of the original system and are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

use super::walk::{Walker, key_path};
use crate::error::{ConfigError, Issue, finish};

/// The sections of `drivers.toml` and the slot each configures.
pub const DRIVERS_TOML_SECTIONS: [(&str, &str); 4] = [
    ("database", "db"),
    ("frontend", "frontend"),
    ("backend", "backend"),
    ("storage", "storage"),
];

/// `config/drivers.toml` as written. String values are not yet interpolated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriversToml {
    /// The file it was read from (as given to [`parse_drivers_toml`]).
    pub origin: PathBuf,
    /// The sections present, by slot name (`[database]` is `db`).
    pub sections: BTreeMap<String, DriversSection>,
}

/// One section, e.g. `[database]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriversSection {
    /// The section name as written (`database`).
    pub section: String,
    /// `driver = "..."`.
    pub driver: Option<String>,
    /// Every other scalar key of the section; numbers and booleans as text.
    pub settings: BTreeMap<String, String>,
    /// `[<section>.drivers.<name>]` entries, by driver name.
    pub drivers: BTreeMap<String, DriverEntry>,
}

/// A `[<section>.drivers.<name>]` catalogue entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverEntry {
    /// `description = "..."`.
    pub description: Option<String>,
    /// `required_env = [...]`: variables the driver needs when selected.
    pub required_env: Vec<String>,
}

/// Parses `drivers.toml` text. `origin` names the file in messages and is
/// kept in [`DriversToml::origin`]. Every problem found is reported.
pub fn parse_drivers_toml(text: &str, origin: &Path) -> Result<DriversToml, ConfigError> {
    let (parsed, issues) = parse_partial(text, origin)?;
    finish(parsed, issues)
}

/// The document with every well-formed part kept, and the problems found in
/// the rest; `Err` only when the text is not TOML at all.
pub(crate) fn parse_partial(
    text: &str,
    origin: &Path,
) -> Result<(DriversToml, Vec<Issue>), ConfigError> {
    let (mut w, doc) = Walker::parse(text, origin)?;
    let mut out = DriversToml {
        origin: origin.to_owned(),
        ..DriversToml::default()
    };
    let valid: Vec<&str> = DRIVERS_TOML_SECTIONS.iter().map(|(s, _)| *s).collect();
    for (key, value) in doc.get_ref().iter() {
        let name = key.get_ref().as_ref();
        let Some((_, slot)) = DRIVERS_TOML_SECTIONS.iter().find(|(s, _)| *s == name) else {
            w.unknown_key(key, &key_path("", name), &valid);
            continue;
        };
        if let Some(table) = w.table(value, name) {
            let section = section(&mut w, table, name);
            out.sections.insert((*slot).to_owned(), section);
        }
    }
    Ok((out, w.issues))
}

fn section(w: &mut Walker<'_>, table: &DeTable<'_>, name: &str) -> DriversSection {
    let mut out = DriversSection {
        section: name.to_owned(),
        ..DriversSection::default()
    };
    for (key, value) in table.iter() {
        let path = key_path(name, key.get_ref());
        match key.get_ref().as_ref() {
            "driver" => out.driver = w.string(value, &path),
            "drivers" => {
                let Some(entries) = w.table(value, &path) else {
                    continue;
                };
                for (driver, entry) in entries.iter() {
                    let entry_path = key_path(&path, driver.get_ref());
                    if let Some(table) = w.table(entry, &entry_path) {
                        let parsed = self::entry(w, table, &entry_path);
                        out.drivers.insert(driver.get_ref().to_string(), parsed);
                    }
                }
            }
            setting => {
                if let Some(text) = w.scalar(value, &path) {
                    out.settings.insert(setting.to_owned(), text);
                }
            }
        }
    }
    out
}

fn entry(w: &mut Walker<'_>, table: &DeTable<'_>, prefix: &str) -> DriverEntry {
    let mut out = DriverEntry::default();
    for (key, value) in table.iter() {
        let path = key_path(prefix, key.get_ref());
        match key.get_ref().as_ref() {
            "description" => out.description = w.string(value, &path),
            "required_env" => out.required_env = w.string_list(value, &path),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DriversToml, ConfigError> {
        parse_drivers_toml(text, Path::new("/app/config/drivers.toml"))
    }

    #[test]
    fn parses_garage_mcp_sections_and_catalogue() {
        let doc = parse(
            r#"
[database]
driver = "neon"
region = "us-east-2"
pool = 5

[database.drivers.planetscale]
description = "PlanetScale serverless MySQL"
required_env = ["PLANETSCALE_TOKEN", "PLANETSCALE_ORG"]
features = ["branching"]

[frontend]
driver = "vercel"

[backend]
driver = "render"

[storage]
driver = "s3"
"#,
        )
        .unwrap();
        let db = &doc.sections["db"];
        assert_eq!(db.section, "database");
        assert_eq!(db.driver.as_deref(), Some("neon"));
        assert_eq!(db.settings["region"], "us-east-2");
        assert_eq!(db.settings["pool"], "5");
        assert!(!db.settings.contains_key("drivers"));
        let ps = &db.drivers["planetscale"];
        assert_eq!(
            ps.description.as_deref(),
            Some("PlanetScale serverless MySQL")
        );
        assert_eq!(ps.required_env, ["PLANETSCALE_TOKEN", "PLANETSCALE_ORG"]);
        assert_eq!(doc.sections["frontend"].driver.as_deref(), Some("vercel"));
        assert_eq!(doc.sections["backend"].driver.as_deref(), Some("render"));
        assert_eq!(doc.sections["storage"].driver.as_deref(), Some("s3"));
    }

    #[test]
    fn unknown_sections_and_bad_shapes_are_rejected() {
        let err =
            parse("[databse]\ndriver = \"neon\"\n[frontend]\ndriver = 1\nnested = { a = 1 }\n")
                .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.issues().len(), 3, "{text}");
        assert!(text.contains("/app/config/drivers.toml:1: unknown key `databse` (did you mean `database`?); valid keys here are: database, frontend, backend, storage"), "{text}");
        assert!(
            text.contains("`frontend.driver` must be a string, found integer"),
            "{text}"
        );
        assert!(
            text.contains("`frontend.nested` must be a string, number or boolean, found table"),
            "{text}"
        );
    }
}
