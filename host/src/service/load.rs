//! Loading drivers from the plugins folder and binding slots to them.

use super::{Binding, Service, Slot, builtin_domain};
use crate::capabilities::secrets::{Requested, SlotSecrets};
use crate::capabilities::{HttpPolicy, SlotFolder, SlotState, TcpPolicy};
use crate::runtime::{CallContext, Domain, Driver};
use paddock_config::{Config, SlotConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Service {
    pub(super) async fn load_drivers(
        &self,
        dir: &Path,
    ) -> (BTreeMap<String, Arc<Driver>>, Vec<(PathBuf, String)>) {
        let mut drivers: BTreeMap<String, Arc<Driver>> = BTreeMap::new();
        let mut errors = Vec::new();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect(),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), "cannot read the plugins folder: {e}; no drivers loaded (build them with `cargo xtask build`)");
                Vec::new()
            }
        };
        files.sort();
        for path in files {
            match Driver::load(&self.runtime, &self.cache, &path).await {
                Ok(driver) => {
                    let names: Vec<String> = std::iter::once(driver.manifest.name.clone())
                        .chain(driver.manifest.aliases.iter().cloned())
                        .collect();
                    if let Some(taken) = names.iter().find(|n| drivers.contains_key(*n)) {
                        let reason = format!(
                            "driver name '{taken}' is already used by {}; rename one of them",
                            drivers[taken].path.display()
                        );
                        tracing::error!(file = %path.display(), "{reason}");
                        errors.push((path, reason));
                        continue;
                    }
                    tracing::info!(driver = %driver.name(), version = %driver.manifest.version, domain = %driver.domain, cached = driver.from_cache, ms = driver.load_time.as_secs_f64() * 1000.0, "driver loaded");
                    let driver = Arc::new(driver);
                    for name in names {
                        drivers.insert(name, driver.clone());
                    }
                }
                Err(e) => {
                    tracing::error!("{e}");
                    errors.push((path, e.to_string()));
                }
            }
        }
        (drivers, errors)
    }

    pub(super) async fn bind(
        &self,
        config: &SlotConfig,
        drivers: &BTreeMap<String, Arc<Driver>>,
    ) -> Slot {
        let expected = builtin_domain(&config.name);
        let noun = expected.map(Domain::noun).unwrap_or("slot");
        let fail = |reason: String| Slot {
            config: config.clone(),
            domain: expected,
            binding: Err(format!(
                "Failed to load {noun} driver '{}': {reason}",
                config.driver
            )),
        };
        let Some(driver) = drivers.get(&config.driver) else {
            let mut available: Vec<&str> = drivers
                .values()
                .filter(|d| expected.is_none_or(|e| d.domain == e))
                .map(|d| d.name())
                .collect();
            available.dedup();
            return fail(format!(
                "no driver named '{}' in {} (available{}: {})",
                config.driver,
                self.config.plugins_dir.display(),
                expected.map(|d| format!(" for {d}")).unwrap_or_default(),
                if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                }
            ));
        };
        if let Some(expected) = expected
            && driver.domain != expected
        {
            return fail(format!(
                "it is a {} driver, and slot '{}' serves {expected}",
                driver.domain, config.name
            ));
        }
        let caps = &driver.manifest.capabilities;
        let requested = Requested {
            secrets: &caps.secrets,
            http: &caps.http,
        };
        let missing_secrets =
            SlotSecrets::missing(&requested, &config.grants, &self.secret_sources);
        let settings = match resolve_settings(config, driver, &self.config, &missing_secrets) {
            Ok(s) => s,
            Err(reason) => return fail(reason),
        };
        let state = (caps.state && config.grants.state).then(|| {
            self.states
                .lock()
                .unwrap()
                .entry(config.name.clone())
                .or_insert_with(|| Arc::new(SlotState::new(self.runtime.limits().max_state_bytes)))
                .clone()
        });
        let serial =
            (driver.manifest.concurrency == crate::runtime::Concurrency::Serialized).then(|| {
                self.serials
                    .lock()
                    .unwrap()
                    .entry(config.name.clone())
                    .or_default()
                    .clone()
            });
        let secrets = match SlotSecrets::new(
            &config.name,
            &requested,
            &config.grants,
            &self.secret_sources,
        ) {
            Ok(s) => Arc::new(s),
            Err(reason) => return fail(reason),
        };
        let http = match HttpPolicy::new(&config.name, &caps.http, &config.grants.http, secrets) {
            Ok(h) => h,
            Err(reason) => return fail(reason),
        };
        let tcp = match TcpPolicy::new(&config.name, &caps.tcp, &config.grants.tcp).await {
            Ok(t) => t,
            Err(reason) => return fail(reason),
        };
        let folder = match caps.folder {
            None => None,
            Some(access) => match SlotFolder::resolve(
                access,
                config.grants.folder.as_ref(),
                &self.config.data_dir,
                &config.name,
            ) {
                Ok(f) => Some(f),
                Err(reason) => return fail(reason),
            },
        };
        Slot {
            config: config.clone(),
            domain: Some(driver.domain),
            binding: Ok(Binding {
                driver: driver.clone(),
                context: CallContext {
                    slot: config.name.clone(),
                    settings: Arc::new(settings),
                    state,
                    http: Arc::new(http),
                    tcp: Arc::new(tcp),
                    folder,
                },
                serial,
            }),
        }
    }
}

/// A slot's settings: the slot's config, then each setting's environment
/// variable, then its default. Missing required ones are reported together.
fn resolve_settings(
    config: &SlotConfig,
    driver: &Driver,
    daemon: &Config,
    missing_secrets: &[String],
) -> Result<BTreeMap<String, String>, String> {
    let mut settings = BTreeMap::new();
    // Secrets and settings users set the same way: one list, one message.
    let mut missing_env = missing_secrets.to_vec();
    let mut missing = Vec::new();
    for spec in &driver.manifest.settings {
        let value = config
            .settings
            .get(&spec.name)
            .cloned()
            .or_else(|| {
                spec.env
                    .as_deref()
                    .and_then(|e| daemon.env.non_empty(e))
                    .map(str::to_string)
            })
            .or_else(|| spec.default_value.clone());
        match value {
            Some(v) => {
                settings.insert(spec.name.clone(), v);
            }
            None if spec.required => match &spec.env {
                Some(env) => missing_env.push(env.clone()),
                None => missing.push(spec.name.clone()),
            },
            None => {}
        }
    }
    for env in &config.required_env {
        if daemon.env.non_empty(env).is_none() && !missing_env.contains(env) {
            missing_env.push(env.clone());
        }
    }
    for (name, value) in &config.settings {
        if !settings.contains_key(name) {
            if !driver.manifest.settings.iter().any(|s| &s.name == name) {
                tracing::warn!(slot = %config.name, "setting '{name}' is not a setting of driver '{}'; it is passed on but the driver may ignore it", driver.name());
            }
            settings.insert(name.clone(), value.clone());
        }
    }
    let mut problems = Vec::new();
    if !missing_env.is_empty() {
        problems.push(format!(
            "Missing required environment variables: {}",
            missing_env.join(", ")
        ));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "missing required settings: {} (set them under [slots.{}.settings] in paddock.toml)",
            missing.join(", "),
            config.name
        ));
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems.join("; "))
    }
}
