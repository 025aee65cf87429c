//! Containers: folders `<root>/<name>/` holding `objects/`, `tmp/` and
//! `container.json`.
//!
//! A container appears and disappears with one rename, so a concurrent call
//! sees it whole or not at all: `create` builds it in
//! `.local-storage/staging/` and renames it into place; `delete` renames it
//! into `.local-storage/trash/` and only then removes it. A container is a
//! folder with a valid name and an `objects/` folder; anything else in the
//! root is left alone.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use paddock_sdk::storage::ContainerInfo;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::fsx::{io_error, sync_dir, unique_name};
use crate::keys::check_container;
use crate::layout::{CONTAINER_FILE, OBJECTS_DIR, Root, TMP_DIR};
use crate::list::any_object;

/// `container.json`.
#[derive(Debug, Serialize, Deserialize)]
struct ContainerRecord {
    created_ms: u64,
}

pub fn missing(name: &str) -> Error {
    Error::not_found(format!(
        "container '{name}' does not exist: create it with create-container first"
    ))
}

/// `not-found` unless the container exists; every object verb starts here.
pub fn require(root: &Root, name: &str) -> Result<()> {
    check_container(name)?;
    if exists(root, name)? {
        Ok(())
    } else {
        Err(missing(name))
    }
}

fn exists(root: &Root, name: &str) -> Result<bool> {
    match fs::metadata(root.objects(name)) {
        Ok(m) => Ok(m.is_dir()),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(false),
        Err(e) => Err(io_error(e, &format!("opening container '{name}'"))),
    }
}

pub fn create(root: &Root, name: &str, now_ms: u64) -> Result<()> {
    check_container(name)?;
    let already = || Error::already_exists(format!("container '{name}' already exists"));
    if exists(root, name)? {
        return Err(already());
    }
    let doing = format!("creating container '{name}'");
    let staging = root.admin("staging");
    fs::create_dir_all(&staging).map_err(|e| io_error(e, &doing))?;
    let stage = staging.join(unique_name());
    let renamed = build(&stage, now_ms).and_then(|()| fs::rename(&stage, root.container(name)));
    match renamed {
        Ok(()) => {
            sync_dir(root.path());
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&stage);
            if exists(root, name)? {
                Err(already())
            } else if root.container(name).exists() {
                Err(Error::conflict(format!(
                    "cannot create container '{name}': '{name}' in the slot's folder is not a \
                     container of this driver; move it away or pick another name"
                )))
            } else {
                Err(io_error(e, &doing))
            }
        }
    }
}

/// A complete container folder at `stage`, synced, ready to be renamed.
fn build(stage: &Path, now_ms: u64) -> std::io::Result<()> {
    fs::create_dir(stage)?;
    fs::create_dir(stage.join(OBJECTS_DIR))?;
    fs::create_dir(stage.join(TMP_DIR))?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(stage.join(CONTAINER_FILE))?;
    f.write_all(&serde_json::to_vec(&ContainerRecord {
        created_ms: now_ms,
    })?)?;
    f.sync_all()?;
    sync_dir(stage);
    Ok(())
}

/// Every container, in name order.
pub fn list(root: &Root) -> Result<Vec<ContainerInfo>> {
    let entries = fs::read_dir(root.path()).map_err(|e| io_error(e, "listing containers"))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(e, "listing containers"))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if check_container(&name).is_err() || !exists(root, &name)? {
            continue;
        }
        let created_ms = fs::read(root.container(&name).join(CONTAINER_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<ContainerRecord>(&b).ok())
            .map(|r| r.created_ms);
        out.push(ContainerInfo { name, created_ms });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes an empty container. The emptiness check is repeated after the
/// container has been moved out of reach, since a put may have landed
/// between the first check and the move; such a container is moved back.
pub fn delete(root: &Root, name: &str) -> Result<()> {
    require(root, name)?;
    let doing = format!("deleting container '{name}'");
    let non_empty = || {
        Error::conflict(format!(
            "container '{name}' still holds objects: delete them first"
        ))
    };
    if any_object(&root.objects(name)).map_err(|e| io_error(e, &doing))? {
        return Err(non_empty());
    }
    let trash_dir = root.admin("trash");
    fs::create_dir_all(&trash_dir).map_err(|e| io_error(e, &doing))?;
    let trash = trash_dir.join(unique_name());
    match fs::rename(root.container(name), &trash) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(missing(name)),
        Err(e) => return Err(io_error(e, &doing)),
    }
    if any_object(&trash.join(OBJECTS_DIR)).unwrap_or(true) {
        return match fs::rename(&trash, root.container(name)) {
            Ok(()) => Err(non_empty()),
            Err(_) => Err(Error::conflict(format!(
                "container '{name}' received objects while being deleted, and a new container \
                 took its name meanwhile; its objects are kept in {}",
                trash.display()
            ))),
        };
    }
    // The container is gone for every caller now; what is left is garbage
    // (temporary files of puts that lost the race), reported by `health`
    // if it cannot be removed.
    let _ = fs::remove_dir_all(&trash);
    sync_dir(root.path());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        (dir, root)
    }

    #[test]
    fn lifecycle() {
        let (_dir, r) = root();
        assert_eq!(require(&r, "photos").unwrap_err().kind(), "not-found");
        create(&r, "photos", 7).unwrap();
        require(&r, "photos").unwrap();
        assert_eq!(
            create(&r, "photos", 8).unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(
            create(&r, "Bad/Name", 8).unwrap_err().kind(),
            "invalid-input"
        );
        create(&r, "assets", 9).unwrap();
        let listed: Vec<_> = list(&r)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.created_ms))
            .collect();
        assert_eq!(
            listed,
            [("assets".into(), Some(9)), ("photos".into(), Some(7))]
        );
        delete(&r, "photos").unwrap();
        assert_eq!(delete(&r, "photos").unwrap_err().kind(), "not-found");
        assert_eq!(list(&r).unwrap().len(), 1);
        // Nothing left behind but the driver's own (empty) folders.
        assert!(fs::read_dir(r.admin("staging")).unwrap().next().is_none());
        assert!(fs::read_dir(r.admin("trash")).unwrap().next().is_none());
    }

    #[test]
    fn foreign_folders_are_not_containers() {
        let (_dir, r) = root();
        fs::create_dir(r.container("notes")).unwrap();
        fs::write(r.container("notes").join("todo.txt"), "x").unwrap();
        fs::create_dir(r.container("Upper")).unwrap();
        assert!(list(&r).unwrap().is_empty());
        assert_eq!(require(&r, "notes").unwrap_err().kind(), "not-found");
        let e = create(&r, "notes", 1).unwrap_err();
        assert_eq!(e.kind(), "conflict");
        assert!(e.message().contains("not a container"), "{}", e.message());
        assert_eq!(
            fs::read(r.container("notes").join("todo.txt")).unwrap(),
            b"x"
        );
        // An empty folder in the way is simply taken over.
        fs::create_dir(r.container("empty")).unwrap();
        create(&r, "empty", 1).unwrap();
    }
}
