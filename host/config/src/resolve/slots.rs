//! Slot resolution: which slots exist, and each one's driver, settings,
//! grants and required variables.
//!
//! The slots are the four built-in ones plus those in `paddock.toml`; no
//! environment variable creates a slot. Driver priority, highest first:
//!
//! 1. `<SLOT>_DRIVER` (`DB_DRIVER`, then `DATABASE_DRIVER`, for `db`);
//! 2. for `db` only: `DATABASE_TYPE`, then `DATABASE_URL`'s scheme;
//! 3. `[slots.<name>] driver` in `paddock.toml`;
//! 4. the slot's section in `config/drivers.toml`;
//! 5. the built-in default.
//!
//! An empty variable counts as unset. A lower level is read (and so can
//! fail) only when every higher one is silent.

use std::collections::BTreeMap;
use std::path::Path;

use crate::env::Environment;
use crate::error::{Issue, Location};
use crate::files::{DriversSection, DriversToml, GrantsSection, PaddockToml, SlotSection};
use crate::interpolate::Interpolator;
use crate::model::{DriverSource, FolderAccess, FolderGrant, Grants, SlotConfig};
use crate::paths::{absolutize, folder_of};
use crate::select::{
    BUILTIN_SLOTS, builtin_driver, database_env_driver, env_driver, env_var_for_slot, is_valid_name,
};

pub(super) fn resolve(
    paddock: Option<&PaddockToml>,
    drivers: Option<&DriversToml>,
    env: &Environment,
    working_dir: &Path,
    interp: &mut Interpolator<'_>,
    issues: &mut Vec<Issue>,
) -> BTreeMap<String, SlotConfig> {
    let mut names: Vec<&str> = BUILTIN_SLOTS.iter().map(|(name, _)| *name).collect();
    if let Some(paddock) = paddock {
        names.extend(
            paddock
                .slots
                .keys()
                .map(String::as_str)
                .filter(|name| builtin_driver(name).is_none()),
        );
    }
    check_env_clashes(&names, issues);

    let mut slots = BTreeMap::new();
    for name in names {
        let inputs = Inputs {
            name,
            paddock: paddock.and_then(|p| Some((p.origin.as_path(), p.slots.get(name)?))),
            drivers: drivers.and_then(|d| Some((d.origin.as_path(), d.sections.get(name)?))),
        };
        if let Some(mut slot) = inputs.resolve(env, interp, issues) {
            lend_sqlite_url_folder(&mut slot, working_dir);
            slots.insert(name.to_owned(), slot);
        }
    }
    slots
}

/// `DATABASE_URL=sqlite:./data/app.db` names a file the operator wants used:
/// with no folder granted otherwise, its folder is lent read-write and the
/// file name becomes the `path` setting (the driver sees the folder at `/data`).
fn lend_sqlite_url_folder(slot: &mut SlotConfig, working_dir: &Path) {
    if slot.driver != "sqlite" || slot.grants.folder.is_some() {
        return;
    }
    let Some(path) = slot
        .settings
        .get("url")
        .and_then(|url| url.strip_prefix("sqlite:"))
        .map(|rest| rest.strip_prefix("//").unwrap_or(rest))
        .filter(|p| !p.is_empty() && *p != ":memory:")
    else {
        return;
    };
    let file = absolutize(working_dir, Path::new(path));
    if let (Some(folder), Some(name)) = (file.parent(), file.file_name()) {
        slot.grants.folder = Some(FolderGrant {
            path: folder.to_owned(),
            access: FolderAccess::ReadWrite,
        });
        slot.settings
            .entry("path".to_owned())
            .or_insert_with(|| name.to_string_lossy().into_owned());
    }
}

/// Two slot names that read the same `<SLOT>_DRIVER` (`a-b` and `a_b`).
fn check_env_clashes(names: &[&str], issues: &mut Vec<Issue>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for name in names {
        let var = env_var_for_slot(name);
        if let Some(first) = seen.get(&var) {
            issues.push(Issue::SlotEnvClash {
                first: (*first).to_owned(),
                second: (*name).to_owned(),
                var,
            });
        } else {
            seen.insert(var, name);
        }
    }
}

/// What the files say about one slot.
struct Inputs<'a> {
    name: &'a str,
    paddock: Option<(&'a Path, &'a SlotSection)>,
    drivers: Option<(&'a Path, &'a DriversSection)>,
}

impl Inputs<'_> {
    fn resolve(
        &self,
        env: &Environment,
        interp: &mut Interpolator<'_>,
        issues: &mut Vec<Issue>,
    ) -> Option<SlotConfig> {
        // Every string of both files is interpolated, chosen or not, so
        // missing variables are reported no matter which level wins.
        let paddock_driver = self.paddock.and_then(|(file, slot)| {
            let driver = slot.driver.as_ref()?;
            Some(interp.expand(driver, || self.paddock_origin(file, "driver")))
        });
        let drivers_driver = self.drivers.and_then(|(file, section)| {
            let driver = section.driver.as_ref()?;
            Some(interp.expand(driver, || {
                format!("{}: {}.driver", file.display(), section.section)
            }))
        });
        let settings = self.settings(env, interp);
        let grants = self
            .paddock
            .map(|(file, slot)| self.grants(file, &slot.grants, interp, issues))
            .unwrap_or_default();
        let catalogue = self.catalogue(interp);

        let (driver, driver_source) = self.choose(env, paddock_driver, drivers_driver, issues)?;
        if !is_valid_name(&driver) {
            issues.push(Issue::InvalidDriverName {
                name: driver,
                origin: driver_source.describe(),
            });
            return None;
        }
        let required_env = catalogue.get(&driver).cloned().unwrap_or_default();
        Some(SlotConfig {
            name: self.name.to_owned(),
            driver,
            driver_source,
            settings,
            grants,
            required_env,
        })
    }

    fn paddock_origin(&self, file: &Path, key: &str) -> String {
        format!("{}: slots.{}.{key}", file.display(), self.name)
    }

    /// The driver and where it came from; `None` when that level failed
    /// (the problem is recorded, or was by interpolation).
    fn choose(
        &self,
        env: &Environment,
        paddock_driver: Option<Option<String>>,
        drivers_driver: Option<Option<String>>,
        issues: &mut Vec<Issue>,
    ) -> Option<(String, DriverSource)> {
        if let Some((value, var)) = env_driver(self.name, env) {
            return Some((value.to_owned(), DriverSource::Env { var }));
        }
        if self.name == "db" {
            match database_env_driver(env) {
                Ok(Some((driver, source))) => return Some((driver.to_owned(), source)),
                Ok(None) => {}
                Err(e) => {
                    issues.extend(e.into_issues());
                    return None;
                }
            }
        }
        if let (Some(driver), Some((file, _))) = (paddock_driver, self.paddock) {
            let path = file.to_owned();
            return driver.map(|d| (d, DriverSource::PaddockToml { path }));
        }
        if let (Some(driver), Some((file, _))) = (drivers_driver, self.drivers) {
            let path = file.to_owned();
            return driver.map(|d| (d, DriverSource::DriversToml { path }));
        }
        if let Some(driver) = builtin_driver(self.name) {
            return Some((driver.to_owned(), DriverSource::Default));
        }
        let (file, slot) = self.paddock?;
        issues.push(Issue::NoDriver {
            location: Location {
                file: file.to_owned(),
                line: Some(slot.line),
                column: None,
            },
            slot: self.name.to_owned(),
            env_var: env_var_for_slot(self.name),
        });
        None
    }

    /// `drivers.toml` section keys, overridden by `paddock.toml` settings,
    /// plus `url` from `DATABASE_URL` for `db` when neither sets it.
    fn settings(
        &self,
        env: &Environment,
        interp: &mut Interpolator<'_>,
    ) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::new();
        if let Some((file, section)) = self.drivers {
            for (key, value) in &section.settings {
                let origin = || format!("{}: {}.{key}", file.display(), section.section);
                if let Some(value) = interp.expand(value, origin) {
                    settings.insert(key.clone(), value);
                }
            }
        }
        if let Some((file, slot)) = self.paddock {
            for (key, value) in &slot.settings {
                let origin = || self.paddock_origin(file, &format!("settings.{key}"));
                if let Some(value) = interp.expand(value, origin) {
                    settings.insert(key.clone(), value);
                }
            }
        }
        if self.name == "db"
            && let Some(url) = env.non_empty("DATABASE_URL")
        {
            settings
                .entry("url".to_owned())
                .or_insert_with(|| url.to_owned());
        }
        settings
    }

    fn grants(
        &self,
        file: &Path,
        raw: &GrantsSection,
        interp: &mut Interpolator<'_>,
        issues: &mut Vec<Issue>,
    ) -> Grants {
        let origin = |key: &str, i: usize| self.paddock_origin(file, &format!("grants.{key}[{i}]"));
        let mut list = |key: &str, values: &[String], issues: &mut Vec<Issue>| {
            let values = interp.expand_all(values, |i| origin(key, i));
            for (i, value) in values.iter().enumerate() {
                if value.trim().is_empty() {
                    issues.push(Issue::InvalidValue {
                        what: format!("{key} grant"),
                        value: value.clone(),
                        origin: origin(key, i),
                        expected: "remove the empty entry or fill it in".to_owned(),
                    });
                }
            }
            values
        };
        let http = list("http", &raw.http, issues);
        let tcp = list("tcp", &raw.tcp, issues);
        let secrets = list("secrets", &raw.secrets, issues);
        for (i, name) in secrets.iter().enumerate() {
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid && !name.trim().is_empty() {
                issues.push(Issue::InvalidValue {
                    what: "secret name".to_owned(),
                    value: name.clone(),
                    origin: origin("secrets", i),
                    expected: "name the secret like an environment variable: letters, digits and `_`, not starting with a digit".to_owned(),
                });
            }
        }
        let named_secret = |key: &str, name: &str, i: usize, issues: &mut Vec<Issue>| {
            if !secrets.iter().any(|s| s == name) {
                issues.push(Issue::InvalidValue {
                    what: format!("{key} grant"),
                    value: name.to_owned(),
                    origin: origin(key, i),
                    expected: format!("grant the secret itself too: secrets = [\"{name}\"]"),
                });
            }
        };
        let reveal = interp.expand_all(&raw.reveal, |i| origin("reveal", i));
        for (i, name) in reveal.iter().enumerate() {
            named_secret("reveal", name, i, issues);
        }
        let mut secret_hosts = BTreeMap::new();
        for (name, origins) in &raw.secret_hosts {
            named_secret("secret_hosts", name, 0, issues);
            let key = format!("secret_hosts.{name}");
            let origins = interp.expand_all(origins, |i| origin(&key, i));
            secret_hosts.insert(name.clone(), origins);
        }
        let folder = raw.folder.as_ref().and_then(|folder| {
            self.folder(file, &folder.path, folder.access.as_deref(), interp, issues)
        });
        Grants {
            http,
            secrets,
            secret_hosts,
            reveal,
            tcp,
            folder,
            state: raw.state.unwrap_or(true),
        }
    }

    fn folder(
        &self,
        file: &Path,
        path: &str,
        access: Option<&str>,
        interp: &mut Interpolator<'_>,
        issues: &mut Vec<Issue>,
    ) -> Option<FolderGrant> {
        let path = interp.expand(path, || self.paddock_origin(file, "grants.folder.path"));
        let access = match access {
            None => Some(FolderAccess::ReadOnly),
            Some(text) => {
                let origin = || self.paddock_origin(file, "grants.folder.access");
                let text = interp.expand(text, origin)?;
                let access = FolderAccess::parse(&text);
                if access.is_none() {
                    issues.push(Issue::InvalidValue {
                        what: "folder access".to_owned(),
                        value: text,
                        origin: origin(),
                        expected: "write \"read-only\" or \"read-write\"".to_owned(),
                    });
                }
                access
            }
        };
        let path = path?;
        if path.trim().is_empty() {
            issues.push(Issue::InvalidValue {
                what: "folder grant path".to_owned(),
                value: path,
                origin: self.paddock_origin(file, "grants.folder.path"),
                expected: "name a folder, relative to the config file's folder or absolute"
                    .to_owned(),
            });
            return None;
        }
        Some(FolderGrant {
            path: absolutize(&folder_of(file), Path::new(&path)),
            access: access?,
        })
    }

    /// `required_env` of every `[<section>.drivers.<name>]` entry, by driver,
    /// interpolated (descriptions too, though only to report their problems).
    fn catalogue(&self, interp: &mut Interpolator<'_>) -> BTreeMap<String, Vec<String>> {
        let Some((file, section)) = self.drivers else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (driver, entry) in &section.drivers {
            let prefix = format!("{}: {}.drivers.{driver}", file.display(), section.section);
            if let Some(description) = &entry.description {
                interp.expand(description, || format!("{prefix}.description"));
            }
            let required = interp.expand_all(&entry.required_env, |i| {
                format!("{prefix}.required_env[{i}]")
            });
            out.insert(driver.clone(), required);
        }
        out
    }
}
