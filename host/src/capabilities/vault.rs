//! The encrypted local secrets vault: `<data>/secrets.vault` (or `PADDOCK_VAULT`).
//!
//! One AES-256-GCM sealed JSON map of name → value, so even the names stay
//! private. The key comes from `PADDOCK_MASTER_KEY` (32 bytes as 64 hex
//! digits or base64; `paddock secrets keygen` makes one) and never touches
//! the disk. Every write seals the whole map with a fresh random nonce and
//! replaces the file atomically (temp file, fsync, rename), so a crash
//! leaves the old vault or the new one, never half of either. A wrong key
//! fails authentication and is reported as such; nothing is written then.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The variable holding the vault's key.
pub const MASTER_KEY_VAR: &str = "PADDOCK_MASTER_KEY";
/// The vault's file name in the data folder.
pub const VAULT_FILE: &str = "secrets.vault";
/// The variable that puts the vault elsewhere than `<data>/secrets.vault`.
pub const VAULT_PATH_VAR: &str = "PADDOCK_VAULT";
/// Bound into the authentication tag: a file of another format or version
/// cannot be mistaken for a vault.
const AAD: &[u8] = b"paddock-vault v1";

/// What can go wrong with the vault. Messages never hold a secret value.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "{MASTER_KEY_VAR} is not set, and the secrets vault {0} needs it: set it to the key the vault was made with (a new one comes from `paddock secrets keygen`)"
    )]
    /// The vault exists and no key is set.
    NoKey(PathBuf),
    #[error(
        "{MASTER_KEY_VAR} must be 32 random bytes written as 64 hex digits or base64 ({0}); make one with `paddock secrets keygen`"
    )]
    /// The key is not 32 bytes of hex or base64.
    BadKey(String),
    #[error(
        "the secrets vault {0} cannot be opened with this {MASTER_KEY_VAR}: the key is wrong or the file was altered; nothing was changed"
    )]
    /// The key does not open the vault.
    WrongKey(PathBuf),
    #[error("the secrets vault {path} is not a paddock vault: {reason}")]
    /// The file is not a vault this version reads.
    Corrupt {
        /// The vault file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    #[error(
        "secret name '{0}' is not valid: use letters, digits and `_`, not starting with a digit"
    )]
    /// A secret name that is not like an environment variable's.
    BadName(String),
    #[error("reading or writing the secrets vault {path}: {source}")]
    /// Reading or writing the file failed.
    Io {
        /// The vault file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The sealed file as stored.
#[derive(Serialize, Deserialize)]
struct Sealed {
    format: String,
    version: u32,
    nonce: String,
    ciphertext: String,
}

/// An open vault: its file and the decrypted secrets.
pub struct Vault {
    path: PathBuf,
    cipher: Aes256Gcm,
    secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("names", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A fresh random key, in the hex form [`parse_key`] reads.
pub fn generate_key() -> String {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    hex::encode(key)
}

/// Reads a key written as 64 hex digits or base64 of 32 bytes.
pub fn parse_key(text: &str) -> Result<[u8; 32], VaultError> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|e| VaultError::BadKey(e.to_string()))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| VaultError::BadKey("neither 64 hex digits nor base64".into()))?
    };
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| VaultError::BadKey(format!("it decodes to {} bytes", b.len())))
}

impl Vault {
    /// The vault file of a configuration: `PADDOCK_VAULT`, else
    /// `<data>/secrets.vault`.
    pub fn path_for(config: &paddock_config::Config) -> PathBuf {
        match config.env.non_empty(VAULT_PATH_VAR) {
            Some(path) => std::env::current_dir()
                .map(|cwd| cwd.join(path))
                .unwrap_or_else(|_| PathBuf::from(path)),
            None => config.data_dir.join(VAULT_FILE),
        }
    }

    /// Opens the vault at `path` with `key` (the text of
    /// [`MASTER_KEY_VAR`]); a missing file is an empty vault.
    pub fn open(path: &Path, key: Option<&str>) -> Result<Self, VaultError> {
        let key = key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| VaultError::NoKey(path.to_owned()))?;
        let cipher = Aes256Gcm::new(&parse_key(key)?.into());
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Vault {
                    path: path.to_owned(),
                    cipher,
                    secrets: BTreeMap::new(),
                });
            }
            Err(source) => {
                return Err(VaultError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let corrupt = |reason: String| VaultError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let sealed: Sealed = serde_json::from_slice(&text).map_err(|e| corrupt(e.to_string()))?;
        if sealed.format != "paddock-vault" || sealed.version != 1 {
            return Err(corrupt(format!(
                "format {} version {} (this paddock reads paddock-vault version 1)",
                sealed.format, sealed.version
            )));
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce = b64
            .decode(&sealed.nonce)
            .ok()
            .filter(|n| n.len() == 12)
            .ok_or_else(|| corrupt("bad nonce".into()))?;
        let ciphertext = b64
            .decode(&sealed.ciphertext)
            .map_err(|e| corrupt(e.to_string()))?;
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| VaultError::WrongKey(path.to_owned()))?;
        let secrets = serde_json::from_slice(&plain).map_err(|e| corrupt(e.to_string()))?;
        Ok(Vault {
            path: path.to_owned(),
            cipher,
            secrets,
        })
    }

    /// The secret names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }

    /// Every secret.
    pub fn secrets(&self) -> &BTreeMap<String, String> {
        &self.secrets
    }

    /// Sets a secret and saves the vault.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), VaultError> {
        if !is_secret_name(name) {
            return Err(VaultError::BadName(name.to_owned()));
        }
        self.secrets.insert(name.to_owned(), value.to_owned());
        self.save()
    }

    /// Removes a secret and saves the vault; whether it was there.
    pub fn remove(&mut self, name: &str) -> Result<bool, VaultError> {
        let was = self.secrets.remove(name).is_some();
        if was {
            self.save()?;
        }
        Ok(was)
    }

    fn save(&self) -> Result<(), VaultError> {
        let io = |source| VaultError::Io {
            path: self.path.clone(),
            source,
        };
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let plain = serde_json::to_vec(&self.secrets).expect("a map of strings serializes");
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .expect("AES-GCM sealing of an in-memory buffer does not fail");
        let b64 = base64::engine::general_purpose::STANDARD;
        let sealed = Sealed {
            format: "paddock-vault".into(),
            version: 1,
            nonce: b64.encode(nonce),
            ciphertext: b64.encode(ciphertext),
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        tmp.write_all(&serde_json::to_vec_pretty(&sealed).expect("serializes"))
            .map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all(); // the rename itself made durable
        }
        Ok(())
    }
}

/// Secret names look like environment variable names.
pub fn is_secret_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_names_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VAULT_FILE);
        let key = generate_key();
        let mut vault = Vault::open(&path, Some(&key)).unwrap();
        vault.set("VERCEL_TOKEN", "vt-secret-value").unwrap();
        vault.set("OTHER", "x").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("VERCEL_TOKEN") && !text.contains("vt-secret-value"));
        let mut again = Vault::open(&path, Some(&key)).unwrap();
        assert_eq!(again.names().collect::<Vec<_>>(), ["OTHER", "VERCEL_TOKEN"]);
        assert_eq!(again.secrets()["VERCEL_TOKEN"], "vt-secret-value");
        assert!(again.remove("OTHER").unwrap());
        assert!(!again.remove("OTHER").unwrap());
        assert_eq!(Vault::open(&path, Some(&key)).unwrap().secrets().len(), 1);
    }

    #[test]
    fn a_wrong_key_is_named_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VAULT_FILE);
        Vault::open(&path, Some(&generate_key()))
            .unwrap()
            .set("A", "value-a")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = Vault::open(&path, Some(&generate_key())).unwrap_err();
        assert!(matches!(err, VaultError::WrongKey(_)), "{err}");
        assert!(err.to_string().contains("key is wrong"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(parse_key(&generate_key()).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(parse_key(&b64).is_ok());
        let err = parse_key("hunter2").unwrap_err().to_string();
        assert!(err.contains("paddock secrets keygen"), "{err}");
        let err = Vault::open(Path::new("/nonexistent/v"), None).unwrap_err();
        assert!(err.to_string().contains(MASTER_KEY_VAR));
    }

    #[test]
    fn names_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = Vault::open(&dir.path().join("v"), Some(&generate_key())).unwrap();
        assert!(matches!(
            vault.set("1BAD", "x"),
            Err(VaultError::BadName(_))
        ));
    }
}
