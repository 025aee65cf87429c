//! Compiled-code cache: a driver compiled once is deserialized on every later
//! start. Entries are keyed by the SHA-256 of the `.wasm` and the engine's
//! compatibility hash, so a changed file or engine setting never reuses stale code.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled drivers are kept.
pub struct CodeCache {
    dir: Option<PathBuf>,
}

impl CodeCache {
    /// A cache in `dir` (created on first write); `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> Self {
        CodeCache { dir }
    }

    /// The component for `wasm`, from the cache when possible; compiles and
    /// stores it otherwise. Returns whether it came from the cache.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        content_hash: &str,
    ) -> anyhow::Result<(Component, bool)> {
        let Some(path) = self.entry_path(engine, content_hash) else {
            return Ok((Component::new(engine, wasm)?, false));
        };
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash (it is in the name),
            // in a folder only this daemon writes.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, true)),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "discarding unusable compiled-code cache entry");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(err) = write_atomically(&path, &component.serialize()?) {
            tracing::warn!(path = %path.display(), error = %err, "could not write the compiled-code cache");
        }
        Ok((component, false))
    }

    fn entry_path(&self, engine: &Engine, content_hash: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Some(dir.join(format!("{content_hash}-{:016x}.cwasm", hasher.finish())))
    }
}

/// Hex SHA-256 of a driver file.
pub fn content_hash(wasm: &[u8]) -> String {
    hex::encode(Sha256::digest(wasm))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache entries live in a folder");
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
