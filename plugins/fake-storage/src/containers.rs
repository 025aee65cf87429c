//! Containers: created explicitly, except [`DEFAULT_CONTAINER`], which
//! always exists.

use paddock_sdk::state::Store;
use paddock_sdk::storage::ContainerInfo;
use paddock_sdk::{Error, Result};

use crate::layout::{self, ContainerRecord};
use crate::names::{DEFAULT_CONTAINER, check_container};

/// `not-found` unless the container exists; every object verb starts here.
pub fn require(store: &dyn Store, name: &str) -> Result<()> {
    check_container(name)?;
    if name == DEFAULT_CONTAINER || store.get(&layout::container_key(name)).is_some() {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "container '{name}' does not exist: create it with create-container first \
             (container '{DEFAULT_CONTAINER}' always exists)"
        )))
    }
}

pub fn create(store: &mut dyn Store, name: &str, now_ms: u64) -> Result<()> {
    check_container(name)?;
    if require(store, name).is_ok() {
        return Err(Error::already_exists(format!(
            "container '{name}' already exists"
        )));
    }
    layout::save(
        store,
        &layout::container_key(name),
        &ContainerRecord { created_ms: now_ms },
    );
    Ok(())
}

/// Every container in name order, the built-in one included.
pub fn list(store: &dyn Store) -> Result<Vec<ContainerInfo>> {
    let mut out = vec![ContainerInfo {
        name: DEFAULT_CONTAINER.to_owned(),
        created_ms: None,
    }];
    for key in store.all_keys("c/") {
        let rec: Option<ContainerRecord> = layout::load(store, &key)?;
        out.push(ContainerInfo {
            name: key["c/".len()..].to_owned(),
            created_ms: rec.map(|r| r.created_ms),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub fn delete(store: &mut dyn Store, name: &str) -> Result<()> {
    require(store, name)?;
    if !store.keys(&layout::meta_prefix(name), None, 1).is_empty() {
        return Err(Error::conflict(format!(
            "container '{name}' still holds objects: delete them first"
        )));
    }
    if name == DEFAULT_CONTAINER {
        return Err(Error::conflict(format!(
            "container '{DEFAULT_CONTAINER}' is built into fake_storage and cannot be deleted"
        )));
    }
    // Bytes left behind by a put that stopped before its commit point.
    for key in store.all_keys(&layout::blob_prefix(name)) {
        store.delete(&key);
    }
    store.delete(&layout::container_key(name));
    Ok(())
}

pub fn count(store: &dyn Store) -> usize {
    store.all_keys("c/").len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    #[test]
    fn lifecycle() {
        let mut s = MemoryStore::new();
        assert_eq!(require(&s, "photos").unwrap_err().kind(), "not-found");
        create(&mut s, "photos", 7).unwrap();
        assert_eq!(
            create(&mut s, "photos", 8).unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(
            create(&mut s, "default", 8).unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(
            create(&mut s, "Bad/Name", 8).unwrap_err().kind(),
            "invalid-input"
        );
        let names: Vec<_> = list(&s)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.created_ms))
            .collect();
        assert_eq!(
            names,
            [("default".into(), None), ("photos".into(), Some(7))]
        );
        delete(&mut s, "photos").unwrap();
        assert_eq!(delete(&mut s, "photos").unwrap_err().kind(), "not-found");
        assert_eq!(delete(&mut s, "default").unwrap_err().kind(), "conflict");
        assert!(s.is_empty());
    }
}
