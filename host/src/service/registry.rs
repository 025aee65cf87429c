//! What the service knows at one moment: loaded drivers and bound slots, and
//! how operators see them.

use crate::runtime::{CallContext, Domain, Driver};
use paddock_config::SlotConfig;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Drivers and slots as of the last (re)load.
pub struct Registry {
    /// Loaded drivers, by name.
    pub drivers: BTreeMap<String, Arc<Driver>>,
    /// Files in the plugins folder that could not be loaded, and why.
    pub load_errors: Vec<(PathBuf, String)>,
    /// Slots, by name.
    pub slots: BTreeMap<String, Slot>,
}

/// A slot bound (or not) to its driver.
pub struct Slot {
    /// The slot's config.
    pub config: SlotConfig,
    /// The domain the slot serves, when known.
    pub domain: Option<Domain>,
    /// The driver, or why there is none.
    pub binding: Result<Binding, String>,
}

/// A working slot.
pub struct Binding {
    /// Its driver.
    pub driver: Arc<Driver>,
    /// What its calls are lent.
    pub context: CallContext,
    pub(super) serial: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// The domain a built-in slot serves.
pub fn builtin_domain(slot: &str) -> Option<Domain> {
    match slot {
        "db" => Some(Domain::Db),
        "frontend" | "backend" => Some(Domain::Deploy),
        "storage" => Some(Domain::Storage),
        _ => None,
    }
}

/// What `GET /v1/slots` and `paddock slots` show of a slot.
#[derive(Debug, Serialize)]
pub struct SlotView {
    /// Slot name.
    pub slot: String,
    /// Domain, when known.
    pub domain: Option<Domain>,
    /// The driver name configured.
    pub driver: String,
    /// Where that choice came from.
    pub driver_source: String,
    /// `ready` or `error`.
    pub status: &'static str,
    /// Why it is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Verbs it serves.
    pub verbs: Vec<String>,
    /// Capabilities the driver asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<crate::runtime::Capabilities>,
    /// Grants of the slot.
    pub granted: GrantView,
}

/// The grants of a slot, as shown.
#[derive(Debug, Serialize)]
pub struct GrantView {
    /// HTTP origins.
    pub http: Vec<String>,
    /// Secret names.
    pub secrets: Vec<String>,
    /// Secrets bound to narrower origins than `http`.
    pub secret_hosts: std::collections::BTreeMap<String, Vec<String>>,
    /// Secrets the driver may read in plain text.
    pub reveal: Vec<String>,
    /// TCP endpoints.
    pub tcp: Vec<String>,
    /// Folder and access.
    pub folder: Option<String>,
    /// State store.
    pub state: bool,
}

impl Registry {
    /// Every slot as shown to operators.
    pub fn slot_views(&self) -> Vec<SlotView> {
        self.slots
            .iter()
            .map(|(name, slot)| {
                let g = &slot.config.grants;
                let (status, error, verbs, requested) = match &slot.binding {
                    Ok(b) => (
                        "ready",
                        None,
                        b.driver.verbs().map(|v| v.name.replace('-', "_")).collect(),
                        Some(b.driver.manifest.capabilities.clone()),
                    ),
                    Err(e) => ("error", Some(e.clone()), Vec::new(), None),
                };
                SlotView {
                    slot: name.clone(),
                    domain: slot.domain,
                    driver: slot.config.driver.clone(),
                    driver_source: slot.config.driver_source.describe(),
                    status,
                    error,
                    verbs,
                    requested,
                    granted: GrantView {
                        http: g.http.clone(),
                        secrets: g.secrets.clone(),
                        secret_hosts: g.secret_hosts.clone(),
                        reveal: g.reveal.clone(),
                        tcp: g.tcp.clone(),
                        folder: g.folder.as_ref().map(|f| {
                            format!(
                                "{} ({})",
                                f.path.display(),
                                match f.access {
                                    paddock_config::FolderAccess::ReadOnly => "read-only",
                                    paddock_config::FolderAccess::ReadWrite => "read-write",
                                }
                            )
                        }),
                        state: g.state,
                    },
                }
            })
            .collect()
    }

    /// Distinct loaded drivers (aliases folded).
    pub fn unique_drivers(&self) -> Vec<Arc<Driver>> {
        let mut seen = std::collections::HashSet::new();
        self.drivers
            .values()
            .filter(|d| seen.insert(d.path.clone()))
            .cloned()
            .collect()
    }
}
