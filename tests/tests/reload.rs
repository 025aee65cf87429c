//! Drop-in drivers: the plugins folder is watched; a new file is served, a
//! broken replacement keeps the version loaded before, a removed file goes.

use paddock_integration::{Daemon, wasm};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn drivers(d: &Daemon) -> Value {
    d.get("/v1/drivers").expect_status(200).json()
}

fn names(listing: &Value) -> Vec<String> {
    listing["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect()
}

/// Polls until `done` holds of the driver listing (the watcher settles for
/// 300 ms, then loads).
fn wait_for(d: &Daemon, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let listing = drivers(d);
        if done(&listing) {
            return listing;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not happen: {listing}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_plugins_folder_is_watched_and_a_broken_replacement_keeps_the_old_version() {
    let d = Daemon::builder()
        .plugins(&["fake_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("DB_DRIVER", "fake_db")
        .start();
    let dir = d.plugins_dir().to_path_buf();

    // A new driver dropped in is loaded without a signal.
    std::fs::copy(wasm("sqlite_db"), dir.join("sqlite_db.wasm")).unwrap();
    wait_for(&d, "sqlite loaded", |l| names(l).contains(&"sqlite".into()));

    // A broken file over a working driver: the old version keeps serving.
    d.ok(
        "db",
        "execute",
        json!({"sql": "CREATE TABLE kept (id INTEGER PRIMARY KEY)"}),
    );
    std::fs::write(dir.join("fake_db.wasm"), b"\0asm half a copy").unwrap();
    let listing = wait_for(&d, "the broken file reported", |l| {
        l["load_errors"].as_array().is_some_and(|e| !e.is_empty())
    });
    let error = listing["load_errors"].to_string();
    assert!(
        error.contains("still serving the version loaded before"),
        "{error}"
    );
    assert!(names(&listing).contains(&"fake_db".into()), "{listing}");
    let tables = d.ok("db", "list_tables", json!({}));
    assert_eq!(tables[0]["name"], "kept", "{tables}");

    // A good file again clears the error; a removed file takes its driver away.
    std::fs::copy(wasm("fake_db"), dir.join("fake_db.wasm")).unwrap();
    wait_for(&d, "the error cleared", |l| {
        l["load_errors"].as_array().is_some_and(|e| e.is_empty())
    });
    std::fs::remove_file(dir.join("sqlite_db.wasm")).unwrap();
    wait_for(&d, "sqlite removed", |l| {
        !names(l).contains(&"sqlite".into())
    });
    assert_eq!(d.get("/health/db").status, 200);
}
