//! `health`: the folder can be listed and written, and what is in it.

use std::fs;

use paddock_sdk::{HealthReport, Result};

use crate::containers;
use crate::fsx::{TempFile, io_error};
use crate::layout::{ADMIN_DIR, Root};

pub fn health(root: &Root) -> Result<HealthReport> {
    let shown = root.path().display().to_string();
    let containers = match containers::list(root) {
        Ok(list) => list.len(),
        Err(e) => {
            return Ok(HealthReport {
                healthy: false,
                message: Some(format!("cannot list {shown}: {}", e.message())),
                details: vec![("folder".into(), shown)],
            });
        }
    };
    // A file created and removed where the driver writes its own files.
    let probe = root.admin("probe");
    let writable = fs::create_dir_all(&probe)
        .and_then(|()| TempFile::create_in(&probe))
        .map(drop)
        .map_err(|e| io_error(e, &format!("writing in {shown}")));
    let mut details = vec![
        ("folder".into(), shown.clone()),
        ("containers".into(), containers.to_string()),
        ("writable".into(), writable.is_ok().to_string()),
    ];
    // Left by deletes that were stopped half-way (or running right now).
    let trash = fs::read_dir(root.admin("trash")).map_or(0, Iterator::count);
    if trash > 0 {
        details.push((
            "trash".into(),
            format!(
                "{trash} deleted containers left in {shown}/{ADMIN_DIR}/trash; \
                 remove them when no delete-container is running"
            ),
        ));
    }
    let (healthy, message) = match writable {
        Ok(()) => (true, format!("{containers} containers in {shown}")),
        Err(e) => (false, e.message().to_owned()),
    };
    Ok(HealthReport {
        healthy,
        message: Some(message),
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_containers_and_writability() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        containers::create(&root, "one", 1).unwrap();
        let report = health(&root).unwrap();
        assert!(report.healthy, "{report:?}");
        assert!(report.details.contains(&("containers".into(), "1".into())));
        assert!(report.details.contains(&("writable".into(), "true".into())));
        assert!(fs::read_dir(root.admin("probe")).unwrap().next().is_none());

        let missing = Root::new(dir.path().join("nope"));
        assert!(!health(&missing).unwrap().healthy);
    }
}
