//! Which file, and how it is opened.
//!
//! The file is named by the slot's `path` setting (relative to the slot's
//! folder, which the driver sees at `/data`), else by the file name of a
//! `sqlite:` `url` setting (`DATABASE_URL` for the `db` slot), else
//! `paddock.db`. Paths that would leave the folder are refused before
//! SQLite sees them (the host's preopen would refuse them too).
//!
//! Every connection uses the `unix-none` VFS and in-memory temporary
//! storage; see the crate documentation for why.

use std::path::{Component, Path, PathBuf};

use paddock_sdk::{Error, Result};
use rusqlite::{Connection, OpenFlags};

use crate::error::Sql;

/// Where the host lends the slot's folder.
pub const ROOT: &str = "/data";
/// The file used when no setting names one.
pub const DEFAULT_FILE: &str = "paddock.db";
/// SQLite's VFS without file locking: WASI has no locks, and the host runs
/// one call of a slot at a time (`concurrency: serialized`).
pub const VFS: &str = "unix-none";

/// The file named by the settings, relative to the slot's folder.
pub fn file_setting(path: Option<String>, url: Option<String>) -> Result<String> {
    let set = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    if let Some(path) = set(path) {
        return Ok(path);
    }
    match set(url) {
        Some(url) => file_of_url(&url),
        None => Ok(DEFAULT_FILE.to_owned()),
    }
}

/// The file name of a `sqlite:` URL (`sqlite:./data/app.db`,
/// `sqlite:///srv/app.db?mode=rwc` → `app.db`). The host lends the URL's
/// folder as the slot's folder; the driver sees only its file name.
fn file_of_url(url: &str) -> Result<String> {
    let Some(rest) = url
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("sqlite:"))
        .map(|_| &url[7..])
    else {
        // Never echo the URL: other schemes carry passwords.
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(Error::invalid_input(format!(
            "the url setting is a '{scheme}' URL, not a sqlite: one; set the `path` setting (or SQLITE_PATH) to name the database file"
        )));
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if rest.trim_start_matches('/').trim_start_matches(':') == "memory:" {
        return Err(memory());
    }
    match rest.rsplit('/').next() {
        Some(name) if !name.is_empty() && name != "." && name != ".." => Ok(name.to_owned()),
        _ => Err(Error::invalid_input(format!(
            "the url setting '{url}' names no database file; use sqlite:NAME.db"
        ))),
    }
}

fn memory() -> Error {
    Error::invalid_input(
        "an in-memory SQLite database would be empty at every call (each call runs in a fresh \
         instance); name a file in the slot's folder with the `path` setting",
    )
}

/// `file` inside `root`: relative, or absolute under `root`; no `..`.
pub fn resolve(root: &Path, file: &str) -> Result<PathBuf> {
    if file == ":memory:" || file.starts_with("file::memory:") {
        return Err(memory());
    }
    if file.contains('\0') {
        return Err(Error::invalid_input(
            "the database path contains a NUL character",
        ));
    }
    let path = Path::new(file);
    let relative = if path.is_absolute() {
        path.strip_prefix(root).map_err(|_| {
            Error::invalid_input(format!(
                "database path '{file}' is outside the slot's folder {}; give a path relative to it",
                root.display()
            ))
        })?
    } else {
        path
    };
    let mut out = root.to_path_buf();
    for part in relative.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(Error::invalid_input(format!(
                    "database path '{file}' must stay inside the slot's folder: no '..'"
                )));
            }
        }
    }
    if out == root || file.ends_with('/') {
        return Err(Error::invalid_input(format!(
            "database path '{file}' names a folder; name a file such as '{DEFAULT_FILE}'"
        )));
    }
    Ok(out)
}

/// Opens (creating when missing) the database at `path`, creating its
/// parent folders inside the slot's folder.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            Error::access_denied(format!(
                "cannot create the folder {} for the database: {e}; the slot's folder must be lent read-write",
                parent.display()
            ))
        })?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    connect(path, flags)
}

/// Opens the database at `path` only when the file exists.
pub fn open_existing(path: &Path) -> Result<Option<Connection>> {
    if !path.exists() {
        return Ok(None);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    connect(path, flags).map(Some)
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags_and_vfs(path, flags, VFS).map_err(|e| {
        Error::access_denied(format!(
            "cannot open the database file {}: {}; the slot's folder must be lent read-write \
             (or hold the file already, for a read-only grant)",
            path.display(),
            crate::error::map(e).message()
        ))
    })?;
    // Temporary tables, sorts and statement journals stay in memory: WASI
    // lends no temporary folder. Foreign keys are enforced, as by
    // PostgreSQL (bundled SQLite defaults to it too; said here for clarity).
    conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON;")
        .sql()?;
    // A WAL database (made by another program) needs shared memory for its
    // index, which WASI lacks, unless the connection holds the file
    // exclusively: then SQLite keeps the index in the connection's memory.
    // With the lock-free VFS that takes no lock; it is used only for WAL
    // files because in rollback mode it keeps a zeroed journal file around.
    if is_wal(path) {
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE")
            .sql()?;
    }
    Ok(conn)
}

/// Whether the file at `path` is a SQLite database in WAL mode (its
/// header's read and write versions are 2).
fn is_wal(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| header.starts_with(b"SQLite format 3\0") && header[18..20] == [2, 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_pick_the_file() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(file_setting(None, None).unwrap(), "paddock.db");
        assert_eq!(file_setting(s(" "), None).unwrap(), "paddock.db");
        assert_eq!(
            file_setting(s("a/b.db"), s("sqlite:x.db")).unwrap(),
            "a/b.db"
        );
        for (url, want) in [
            ("sqlite:./data/app.db", "app.db"),
            ("sqlite:app.db", "app.db"),
            ("SQLite://app.db?mode=rwc", "app.db"),
            ("sqlite:///srv/data/app.db", "app.db"),
        ] {
            assert_eq!(file_setting(None, s(url)).unwrap(), want, "{url}");
        }
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite:./data/",
            "postgres://u:secret@h/db",
        ] {
            let e = file_setting(None, s(url)).unwrap_err();
            assert_eq!(e.kind(), "invalid-input", "{url}");
            assert!(!e.message().contains("secret"));
        }
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        let root = Path::new("/data");
        assert_eq!(
            resolve(root, "paddock.db").unwrap(),
            Path::new("/data/paddock.db")
        );
        assert_eq!(
            resolve(root, "./a/b.db").unwrap(),
            Path::new("/data/a/b.db")
        );
        assert_eq!(
            resolve(root, "/data/a.db").unwrap(),
            Path::new("/data/a.db")
        );
        for bad in [
            "../x.db",
            "a/../../x.db",
            "/etc/passwd",
            "/data",
            ".",
            "a/",
            ":memory:",
            "a\0b",
        ] {
            assert_eq!(
                resolve(root, bad).unwrap_err().kind(),
                "invalid-input",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn opens_and_creates_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.db");
        assert!(open_existing(&path).unwrap().is_none());
        let conn = open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (a)").unwrap();
        drop(conn);
        assert!(open_existing(&path).unwrap().is_some());
        assert!(!is_wal(&path));
    }

    #[test]
    fn wal_files_are_held_exclusively() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (a); INSERT INTO t VALUES (1)",
            )
            .unwrap();
        drop(other);
        assert!(is_wal(&path));
        let conn = open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA locking_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "exclusive");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert!(!is_wal(&dir.path().join("missing.db")));
    }
}
