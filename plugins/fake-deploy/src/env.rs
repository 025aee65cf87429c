//! Per-project environment variables. Values are kept (a real vendor
//! injects them into builds; here only `FAKE_FAIL` has an effect) but are
//! never read back: `list` answers names and times only.

use std::collections::BTreeMap;

use paddock_sdk::deploy::EnvVar;
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::names::{check_env_name, check_project};

/// Vercel's limit for one variable.
const MAX_VALUE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Var {
    pub value: String,
    pub updated_at: String,
}

/// Checks names (and values) given in one call: valid and not repeated.
pub fn check_vars<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = Vec::new();
    for name in names {
        check_env_name(name)?;
        if seen.contains(&name) {
            return Err(Error::invalid_input(format!(
                "environment variable '{name}' is given twice"
            )));
        }
        seen.push(name);
    }
    Ok(())
}

pub fn set(
    store: &mut dyn Store,
    project: &str,
    vars: Vec<(String, String)>,
    now_ms: u64,
) -> Result<()> {
    check_project(project)?;
    check_vars(vars.iter().map(|(n, _)| n.as_str()))?;
    if let Some((name, value)) = vars.iter().find(|(_, v)| v.len() > MAX_VALUE_BYTES) {
        return Err(Error::quota_exceeded(format!(
            "the value of '{name}' is {} bytes; the limit is {MAX_VALUE_BYTES}",
            value.len()
        )));
    }
    for (name, value) in vars {
        let var = Var {
            value,
            updated_at: rfc3339(now_ms),
        };
        layout::save(
            store,
            &format!("{}{name}", layout::env_prefix(project)),
            &var,
        );
    }
    Ok(())
}

pub fn list(store: &dyn Store, project: &str) -> Result<Vec<EnvVar>> {
    check_project(project)?;
    let prefix = layout::env_prefix(project);
    let mut out = Vec::new();
    for key in store.all_keys(&prefix) {
        let var: Option<Var> = layout::load(store, &key)?;
        out.push(EnvVar {
            name: key[prefix.len()..].to_owned(),
            updated_at: var.map(|v| v.updated_at),
        });
    }
    Ok(out)
}

/// Removes all the names or none: `not-found` names every missing one.
pub fn unset(store: &mut dyn Store, project: &str, names: Vec<String>) -> Result<()> {
    check_project(project)?;
    check_vars(names.iter().map(String::as_str))?;
    let prefix = layout::env_prefix(project);
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| store.get(&format!("{prefix}{n}")).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::not_found(format!(
            "project '{project}' has no environment variable {}; list-env shows the names it has",
            missing.join(", ")
        )));
    }
    for n in names {
        store.delete(&format!("{prefix}{n}"));
    }
    Ok(())
}

/// The project's variables with their values, for builds.
pub fn values(store: &dyn Store, project: &str) -> Result<BTreeMap<String, String>> {
    let prefix = layout::env_prefix(project);
    let mut out = BTreeMap::new();
    for key in store.all_keys(&prefix) {
        if let Some(v) = layout::load::<Var>(store, &key)? {
            out.insert(key[prefix.len()..].to_owned(), v.value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.into(), v.into())
    }

    #[test]
    fn set_list_unset() {
        let mut s = MemoryStore::new();
        set(&mut s, "web", vec![pair("B", "2"), pair("A", "secret")], 0).unwrap();
        set(&mut s, "api", vec![pair("C", "3")], 0).unwrap();
        let names: Vec<_> = list(&s, "web")
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.updated_at))
            .collect();
        assert_eq!(
            names,
            [
                ("A".into(), Some("1970-01-01T00:00:00.000Z".into())),
                ("B".into(), Some("1970-01-01T00:00:00.000Z".into()))
            ]
        );
        assert_eq!(values(&s, "web").unwrap()["A"], "secret");
        assert_eq!(
            set(&mut s, "web", vec![pair("A", "1"), pair("A", "2")], 0)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
        assert_eq!(
            set(&mut s, "web", vec![pair("1A", "1")], 0)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
        let e = unset(&mut s, "web", vec!["A".into(), "Z".into()]).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                "not-found",
                "project 'web' has no environment variable Z; list-env shows the names it has"
            )
        );
        assert_eq!(list(&s, "web").unwrap().len(), 2, "nothing removed");
        unset(&mut s, "web", vec!["A".into(), "B".into()]).unwrap();
        assert!(list(&s, "web").unwrap().is_empty());
        assert_eq!(list(&s, "api").unwrap().len(), 1);
    }
}
