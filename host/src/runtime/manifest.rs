//! A driver's manifest as the host keeps it, read from the driver's
//! `describe` export through the same JSON mapping the API uses.

use serde::{Deserialize, Serialize};

/// The domain a driver serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// SQL databases.
    Db,
    /// Deployments.
    Deploy,
    /// Object storage.
    Storage,
}

impl Domain {
    /// All domains.
    pub const ALL: [Domain; 3] = [Domain::Db, Domain::Deploy, Domain::Storage];

    /// The WIT interface name (`db`).
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Db => "db",
            Domain::Deploy => "deploy",
            Domain::Storage => "storage",
        }
    }

    /// The word users know the domain by in messages (`database`).
    pub fn noun(self) -> &'static str {
        match self {
            Domain::Db => "database",
            Domain::Deploy => "deploy",
            Domain::Storage => "storage",
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the host may call the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Concurrency {
    /// Calls may overlap.
    Parallel,
    /// One call of a slot at a time.
    Serialized,
}

/// Access to the slot's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FolderAccess {
    /// Read only.
    ReadOnly,
    /// Read and write.
    ReadWrite,
}

/// A setting the driver reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SettingSpec {
    /// Name in the slot's settings.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether the driver cannot work without it.
    pub required: bool,
    /// The environment variable users know for it.
    pub env: Option<String>,
    /// Used when nothing else sets it.
    pub default_value: Option<String>,
    /// JSON Schema (text) of the value.
    pub schema: Option<String>,
}

/// What the driver asks the host to lend it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Capabilities {
    /// HTTP origins.
    pub http: Vec<String>,
    /// Secret names.
    pub secrets: Vec<String>,
    /// TCP endpoints.
    pub tcp: Vec<String>,
    /// The slot's folder.
    pub folder: Option<FolderAccess>,
    /// The per-slot key-value store.
    pub state: bool,
}

/// A driver's manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The name slots select it by.
    pub name: String,
    /// Other names that select it.
    pub aliases: Vec<String>,
    /// The driver's version.
    pub version: String,
    /// Its domain.
    pub domain: Domain,
    /// What it is.
    pub description: String,
    /// Settings it reads.
    pub settings: Vec<SettingSpec>,
    /// Capabilities it asks for.
    pub capabilities: Capabilities,
    /// How it may be called.
    pub concurrency: Concurrency,
}

impl Manifest {
    /// Checks what the type system cannot: names and the domain.
    pub fn validate(&self, exported: Domain) -> Result<(), String> {
        let valid_name = |n: &str| {
            !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        for name in std::iter::once(&self.name).chain(&self.aliases) {
            if !valid_name(name) {
                return Err(format!(
                    "manifest name '{name}' is not valid: use 1 to 64 of a-z, 0-9, '_' and '-'"
                ));
            }
        }
        if self.domain != exported {
            return Err(format!(
                "manifest says domain '{}' but the component exports the '{exported}' interface",
                self.domain
            ));
        }
        Ok(())
    }
}
