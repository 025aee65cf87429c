//! Branch bookkeeping, shaped like Neon's: a primary `main` branch always
//! exists, branches have parents, and a branch with children cannot be
//! deleted. Branches share one table store: the fake records them, it does
//! not copy data.

use paddock_sdk::db::Branch;
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;

pub const PRIMARY: &str = "main";
const PRIMARY_ID: &str = "br-0";
const COUNTER: &str = "n/branch";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BranchRecord {
    pub id: String,
    /// The parent's name.
    pub parent: String,
    pub created_at: String,
}

fn primary() -> Branch {
    Branch {
        id: PRIMARY_ID.into(),
        name: PRIMARY.into(),
        parent: None,
        created_at: None,
        primary: true,
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "branch name '{name}' is invalid: use 1 to 63 letters, digits, '-', '_', '.' or '/'"
        )))
    }
}

/// Every branch: the primary first, then by name.
pub fn list(store: &dyn Store) -> Result<Vec<Branch>> {
    let mut out = vec![primary()];
    for key in store.all_keys("b/") {
        if let Some(r) = layout::load::<BranchRecord>(store, &key)? {
            out.push(Branch {
                id: r.id,
                name: key["b/".len()..].to_owned(),
                parent: Some(r.parent),
                created_at: Some(r.created_at),
                primary: false,
            });
        }
    }
    Ok(out)
}

/// A branch by name, or else by id.
fn find(store: &dyn Store, name_or_id: &str) -> Result<Option<Branch>> {
    let all = list(store)?;
    Ok(all
        .iter()
        .find(|b| b.name == name_or_id)
        .or_else(|| all.iter().find(|b| b.id == name_or_id))
        .cloned())
}

pub fn create(
    store: &mut dyn Store,
    name: &str,
    parent: Option<String>,
    now_ms: u64,
) -> Result<Branch> {
    check_name(name)?;
    if find(store, name)?.is_some() {
        return Err(Error::already_exists(format!(
            "branch '{name}' already exists"
        )));
    }
    let parent_name = parent.as_deref().unwrap_or(PRIMARY);
    let parent = find(store, parent_name)?.ok_or_else(|| {
        Error::not_found(format!("parent branch '{parent_name}' does not exist; list-branches shows the branches there are"))
    })?;
    let n = store
        .get(COUNTER)
        .and_then(|v| String::from_utf8(v).ok()?.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    store.set(COUNTER, n.to_string().as_bytes());
    let rec = BranchRecord {
        id: format!("br-{n}"),
        parent: parent.name,
        created_at: rfc3339(now_ms),
    };
    layout::save(store, &layout::branch_key(name), &rec);
    Ok(Branch {
        id: rec.id,
        name: name.into(),
        parent: Some(rec.parent),
        created_at: Some(rec.created_at),
        primary: false,
    })
}

pub fn delete(store: &mut dyn Store, name: &str) -> Result<()> {
    let branch = find(store, name)?
        .ok_or_else(|| Error::not_found(format!("branch '{name}' does not exist")))?;
    if branch.primary {
        return Err(Error::conflict(format!(
            "branch '{}' is the primary branch and cannot be deleted",
            branch.name
        )));
    }
    let children: Vec<String> = list(store)?
        .into_iter()
        .filter(|b| b.parent.as_deref() == Some(&branch.name))
        .map(|b| b.name)
        .collect();
    if !children.is_empty() {
        return Err(Error::conflict(format!(
            "branch '{}' has child branches ({}); delete them first",
            branch.name,
            children.join(", ")
        )));
    }
    store.delete(&layout::branch_key(&branch.name));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    #[test]
    fn lifecycle() {
        let mut s = MemoryStore::new();
        assert_eq!(list(&s).unwrap().len(), 1);
        let dev = create(&mut s, "dev", None, 0).unwrap();
        assert_eq!(
            (dev.id.as_str(), dev.parent.as_deref()),
            ("br-1", Some("main"))
        );
        assert_eq!(dev.created_at.as_deref(), Some("1970-01-01T00:00:00.000Z"));
        let feat = create(&mut s, "feat/x", Some("br-1".into()), 0).unwrap();
        assert_eq!(
            (feat.id.as_str(), feat.parent.as_deref()),
            ("br-2", Some("dev"))
        );
        assert_eq!(
            create(&mut s, "dev", None, 0).unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(
            create(&mut s, "main", None, 0).unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(
            create(&mut s, "x", Some("nope".into()), 0)
                .unwrap_err()
                .kind(),
            "not-found"
        );
        assert_eq!(
            create(&mut s, "bad name", None, 0).unwrap_err().kind(),
            "invalid-input"
        );
        assert_eq!(delete(&mut s, "main").unwrap_err().kind(), "conflict");
        let e = delete(&mut s, "dev").unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                "conflict",
                "branch 'dev' has child branches (feat/x); delete them first"
            )
        );
        delete(&mut s, "feat/x").unwrap();
        delete(&mut s, "br-1").unwrap();
        assert_eq!(delete(&mut s, "dev").unwrap_err().kind(), "not-found");
        assert_eq!(
            create(&mut s, "again", None, 0).unwrap().id,
            "br-3",
            "ids are never reused"
        );
    }
}
