//! File-system helpers: io errors as WIT errors, unique temporary files
//! that remove themselves unless committed.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use paddock_sdk::Error;

/// An io error as the WIT error a caller can act on; `doing` says what
/// failed ("writing object 'k' in container 'c'"). Callers that expect
/// `NotFound` handle it themselves with a better message.
pub fn io_error(e: io::Error, doing: &str) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::not_found(format!("{doing}: {e}")),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            Error::access_denied(format!(
                "{doing}: {e}; the slot's folder must be granted read-write for the local driver"
            ))
        }
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            Error::quota_exceeded(format!("{doing}: {e}; free space in the slot's folder"))
        }
        ErrorKind::InvalidFilename => Error::invalid_input(format!(
            "{doing}: {e}; the file system refuses the path (a shorter key may fit)"
        )),
        ErrorKind::Interrupted
        | ErrorKind::WouldBlock
        | ErrorKind::TimedOut
        | ErrorKind::ResourceBusy => Error::unavailable(format!("{doing}: {e}"), None),
        kind => Error::vendor(format!("io:{kind:?}"), format!("{doing}: {e}")),
    }
}

/// A name no other call is using at the same time: random (the std hasher
/// is seeded from the system's randomness, `wasi:random` in the guest) plus
/// a counter and the clock. Files are still created with `create_new`, so a
/// clash costs a retry, never a shared file.
pub fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

/// A new file in `dir` under a unique name, removed when dropped unless
/// [`TempFile::keep`] was called: a put that fails or is refused leaves
/// nothing behind (a trapped call does not drop it; `put` sweeps those
/// later, see [`sweep`]).
pub struct TempFile {
    pub path: PathBuf,
    pub file: File,
    kept: bool,
}

/// What temporary files end with.
const TEMP_SUFFIX: &str = ".part";

impl TempFile {
    pub fn create_in(dir: &Path) -> io::Result<TempFile> {
        loop {
            let path = dir.join(format!("{}{TEMP_SUFFIX}", unique_name()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        kept: false,
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The file was renamed into place: nothing to remove.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Removes temporary files in `dir` untouched for `stale_ms`: left by puts
/// that trapped or hit the call deadline (a live put writes at least every
/// chunk, and the host stops a call that makes no progress for a minute).
/// Best effort: returns how many were removed.
pub fn sweep(dir: &Path, stale_ms: u64) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age.as_millis() >= u128::from(stale_ms));
        if stale && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Makes a rename or a new name in `dir` durable. Best effort: not every
/// system lets a folder be opened for syncing, and the data itself was
/// synced before.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_kinds() {
        let kind = |k: ErrorKind| io_error(io::Error::from(k), "doing").kind();
        assert_eq!(kind(ErrorKind::NotFound), "not-found");
        assert_eq!(kind(ErrorKind::PermissionDenied), "access-denied");
        assert_eq!(kind(ErrorKind::ReadOnlyFilesystem), "access-denied");
        assert_eq!(kind(ErrorKind::StorageFull), "quota-exceeded");
        assert_eq!(kind(ErrorKind::InvalidFilename), "invalid-input");
        assert_eq!(kind(ErrorKind::Other), "vendor");
        let e = io_error(io::Error::other("boom"), "writing x");
        assert_eq!(e.message(), "writing x: boom");
    }

    #[test]
    fn temp_files_remove_themselves_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = TempFile::create_in(dir.path()).unwrap();
        let b = TempFile::create_in(dir.path()).unwrap();
        assert_ne!(a.path, b.path);
        let kept = b.path.clone();
        drop(a);
        b.keep();
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(left, [kept]);
        assert_eq!(sweep(dir.path(), 3_600_000), 0);
        assert_eq!(sweep(dir.path(), 0), 1);
    }
}
