//! `db.migrate` as callers know it: point at a folder of `NNNN_name.sql`
//! files; the host reads them, checksums them and hands them to the driver.

use crate::error::CallError;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The folder used when the call names none and the slot sets no `migrations` setting.
pub const DEFAULT_MIGRATIONS_DIR: &str = "migrations";

/// Turns `{"dir": …, "target": …, "dry_run": …}` into the WIT arguments
/// `{"migrations": […], "options": {…}}`. Arguments already in WIT form pass through.
pub fn migrate_args(args: &Value, default_dir: Option<&str>) -> Result<Value, CallError> {
    let obj = match args {
        Value::Null => serde_json::Map::new(),
        Value::Object(o) => o.clone(),
        _ => {
            return Err(CallError::invalid(
                "migrate takes a JSON object: {\"dir\": \"migrations\", \"target\": 3, \"dry_run\": true}",
            ));
        }
    };
    if obj.contains_key("migrations") {
        return Ok(Value::Object(obj));
    }
    for key in obj.keys() {
        if !["dir", "target", "dry_run", "dry-run"].contains(&key.as_str()) {
            return Err(CallError::invalid(format!(
                "unknown argument '{key}' for migrate; expected dir, target, dry_run"
            )));
        }
    }
    let dir = match obj.get("dir") {
        Some(Value::String(d)) => PathBuf::from(d),
        Some(_) => {
            return Err(CallError::invalid(
                "`dir` must be a string: the folder of NNNN_name.sql files",
            ));
        }
        None => PathBuf::from(default_dir.unwrap_or(DEFAULT_MIGRATIONS_DIR)),
    };
    let migrations = read_migrations(&dir)?;
    let target = obj.get("target").cloned().unwrap_or(Value::Null);
    let dry_run = obj
        .get("dry_run")
        .or_else(|| obj.get("dry-run"))
        .cloned()
        .unwrap_or(Value::Bool(false));
    Ok(json!({
        "migrations": migrations,
        "options": {"target": target, "dry_run": dry_run},
    }))
}

/// Reads `NNNN_name.sql` files of `dir` in version order.
pub fn read_migrations(dir: &Path) -> Result<Vec<Value>, CallError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CallError::invalid(format!(
            "cannot read the migrations folder {}: {e}; pass {{\"dir\": \"path/to/migrations\"}} or set the slot's `migrations` setting",
            dir.display()
        ))
    })?;
    let mut found: Vec<(u64, String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let Some((number, name)) = stem.split_once('_') else {
            return Err(CallError::invalid(format!(
                "migration file '{file}' is not named NNNN_name.sql"
            )));
        };
        let version: u64 = number.parse().map_err(|_| {
            CallError::invalid(format!(
                "migration file '{file}' does not start with a version number (NNNN_name.sql)"
            ))
        })?;
        if let Some((_, other, _)) = found.iter().find(|(v, _, _)| *v == version) {
            return Err(CallError::invalid(format!(
                "migrations '{other}' and '{name}' share version {version}; give each its own number"
            )));
        }
        found.push((version, name.to_string(), path));
    }
    found.sort_by_key(|(v, _, _)| *v);
    found
        .into_iter()
        .map(|(version, name, path)| {
            let sql = std::fs::read_to_string(&path)
                .map_err(|e| CallError::invalid(format!("cannot read {}: {e}", path.display())))?;
            let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
            Ok(json!({"version": version, "name": name, "sql": sql, "checksum": checksum}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_migrations_in_version_order_with_checksums() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0002_b.sql"), "select 2;").unwrap();
        std::fs::write(dir.path().join("0001_a.sql"), "select 1;").unwrap();
        std::fs::write(dir.path().join("README.md"), "ignored").unwrap();
        let got = read_migrations(dir.path()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["version"], 1);
        assert_eq!(got[1]["name"], "b");
        assert_eq!(got[0]["checksum"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn rejects_badly_named_and_duplicate_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("init.sql"), "").unwrap();
        assert!(
            read_migrations(dir.path())
                .unwrap_err()
                .message
                .contains("NNNN_name.sql")
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1_a.sql"), "").unwrap();
        std::fs::write(dir.path().join("01_b.sql"), "").unwrap();
        assert!(
            read_migrations(dir.path())
                .unwrap_err()
                .message
                .contains("share version 1")
        );
    }

    #[test]
    fn missing_folder_says_what_to_do() {
        let err = migrate_args(&json!({"dir": "/nonexistent/x"}), None).unwrap_err();
        assert!(err.message.contains("\"dir\""), "{}", err.message);
    }
}
