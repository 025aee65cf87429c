//! `deploy.create` from a folder: the host lends the caller's folder to the
//! driver read-only for that one call, under [`SOURCE_MOUNT`], so a large site
//! never passes through guest memory whole.

use crate::error::CallError;
use crate::runtime::LentFolder;
use serde_json::Value;
use std::path::PathBuf;

/// Where the driver sees a lent source folder.
pub const SOURCE_MOUNT: &str = "/source";

/// Rewrites `request.source.folder` from a path on this machine to
/// [`SOURCE_MOUNT`] and returns the folder to lend. Other sources pass through.
pub fn lend_source(mut args: Value) -> Result<(Value, Vec<LentFolder>), CallError> {
    let Some(folder) = args.pointer_mut("/request/source/folder") else {
        return Ok((args, Vec::new()));
    };
    let Some(path) = folder.as_str() else {
        return Err(CallError::invalid(
            "`request.source.folder` must be the path of a folder",
        ));
    };
    let host = PathBuf::from(path).canonicalize().map_err(|e| {
        CallError::invalid(format!("the source folder '{path}' cannot be opened: {e}"))
    })?;
    if !host.is_dir() {
        return Err(CallError::invalid(format!(
            "the source '{path}' is not a folder"
        )));
    }
    *folder = Value::String(SOURCE_MOUNT.to_string());
    Ok((
        args,
        vec![LentFolder {
            host,
            guest: SOURCE_MOUNT.to_string(),
        }],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folder_sources_are_rewritten_and_lent() {
        let dir = tempfile::tempdir().unwrap();
        let args = json!({"request": {"project": "p", "source": {"folder": dir.path()}}});
        let (args, lent) = lend_source(args).unwrap();
        assert_eq!(args["request"]["source"]["folder"], SOURCE_MOUNT);
        assert_eq!(lent[0].host, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn other_sources_pass_and_missing_folders_are_refused() {
        let args = json!({"request": {"project": "p", "source": {"image": "nginx"}}});
        assert!(lend_source(args).unwrap().1.is_empty());
        let args = json!({"request": {"source": {"folder": "/nonexistent/site"}}});
        assert!(
            lend_source(args)
                .unwrap_err()
                .message
                .contains("cannot be opened")
        );
    }
}
