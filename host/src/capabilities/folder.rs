//! The slot's folder: a directory on this machine lent to the driver at
//! [`GUEST_PATH`], read-only or read-write as both the manifest and the grant
//! allow. wasmtime's preopens (cap-std) keep everything outside it out of
//! reach: `..`, absolute paths and symlinks pointing out all fail.

use crate::runtime::FolderAccess;
use std::path::PathBuf;

/// Where a driver sees its slot's folder.
pub const GUEST_PATH: &str = "/data";

/// A slot's folder as lent.
#[derive(Debug, Clone)]
pub struct SlotFolder {
    /// The folder on this machine.
    pub host: PathBuf,
    /// Read-only unless both the manifest and the grant say read-write.
    pub access: FolderAccess,
}

impl SlotFolder {
    /// The folder a driver gets: the slot's grant, or when the slot grants
    /// none, a private folder of the slot under the data folder (so a driver
    /// that asks for a folder never shares one by accident). Created when missing.
    pub fn resolve(
        requested: FolderAccess,
        grant: Option<&paddock_config::FolderGrant>,
        data_dir: &std::path::Path,
        slot: &str,
    ) -> Result<Self, String> {
        let (host, granted) = match grant {
            Some(g) => (
                g.path.clone(),
                match g.access {
                    paddock_config::FolderAccess::ReadOnly => FolderAccess::ReadOnly,
                    paddock_config::FolderAccess::ReadWrite => FolderAccess::ReadWrite,
                },
            ),
            None => (data_dir.join("slots").join(slot), FolderAccess::ReadWrite),
        };
        let access = if requested == FolderAccess::ReadWrite && granted == FolderAccess::ReadWrite {
            FolderAccess::ReadWrite
        } else {
            FolderAccess::ReadOnly
        };
        std::fs::create_dir_all(&host)
            .map_err(|e| format!("cannot create the slot's folder {}: {e}", host.display()))?;
        let host = host
            .canonicalize()
            .map_err(|e| format!("cannot open the slot's folder {}: {e}", host.display()))?;
        Ok(SlotFolder { host, access })
    }
}
