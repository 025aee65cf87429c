//! Drop-in drivers: the plugins folder is watched, and a change reloads it
//! once the folder has been quiet for [`SETTLE`] (a file being copied fires
//! many events). A file that does not load keeps the version loaded before
//! ([`Service::reload`]), so a half-written copy never takes a driver away.

use super::Service;
use notify::{RecursiveMode, Watcher};
use std::sync::Arc;
use std::time::Duration;

/// How long the folder must stay quiet before a reload.
pub const SETTLE: Duration = Duration::from_millis(300);

impl Service {
    /// Reloads whenever a `.wasm` file of the plugins folder changes, until
    /// the process ends. Without a usable folder it only logs why.
    pub fn watch_plugins(self: &Arc<Self>) {
        let dir = self.config.plugins_dir.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event
                && event
                    .paths
                    .iter()
                    .any(|p| p.extension().is_some_and(|e| e == "wasm"))
            {
                let _ = tx.send(());
            }
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("cannot watch the plugins folder: {e}; reload with SIGHUP");
                return;
            }
        };
        if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), "cannot watch the plugins folder: {e}; reload with SIGHUP");
            return;
        }
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let _watcher = watcher; // lives as long as the task
            while rx.recv().await.is_some() {
                // Let the burst of events of one copy settle.
                loop {
                    match tokio::time::timeout(SETTLE, rx.recv()).await {
                        Ok(Some(())) => continue,
                        Ok(None) => return,
                        Err(_) => break,
                    }
                }
                tracing::info!(dir = %dir.display(), "the plugins folder changed: reloading the drivers");
                service.reload().await;
            }
        });
    }
}
