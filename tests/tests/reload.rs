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

/// At least 20 000 calls from four threads while `echo.wasm` is overwritten
/// 20 times, with a half-written file before each good one: no call fails,
/// and after each swap the answers come from the new version.
#[test]
fn twenty_thousand_calls_while_the_driver_file_is_replaced_twenty_times() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    const CALLS: usize = 20_000;
    const SWAPS: usize = 20;
    let v1 = std::fs::read(wasm("echo_v1")).unwrap();
    let v2 = std::fs::read(wasm("echo_v2")).unwrap();
    let d = Daemon::builder()
        .plugins(&["fake_storage", "local_storage", "fake_deploy"])
        .plugin_bytes("echo.wasm", &v1)
        .env("DB_DRIVER", "echo")
        .start();
    let file = d.plugins_dir().join("echo.wasm");
    let version = || {
        let reply = d.call("db", "query", json!({"sql": "version"}));
        (reply.status == 200)
            .then(|| {
                reply.json()["rows"][0][0]["text"]
                    .as_str()
                    .map(String::from)
            })
            .flatten()
            .ok_or_else(|| reply.text())
    };
    let done = AtomicUsize::new(0);
    let swapped = AtomicBool::new(false);
    let failures = std::sync::Mutex::new(Vec::new());
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !swapped.load(Ordering::SeqCst) || done.load(Ordering::SeqCst) < CALLS {
                    done.fetch_add(1, Ordering::SeqCst);
                    match version() {
                        Ok(v) => *seen.lock().unwrap().entry(v).or_default() += 1,
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                }
            });
        }
        s.spawn(|| {
            for swap in 1..=SWAPS {
                let (next, name) = if swap % 2 == 1 {
                    (&v2, "2.0.0")
                } else {
                    (&v1, "1.0.0")
                };
                // A half-copied file first: refused, the old version serves on.
                std::fs::write(&file, &next[..next.len() / 2]).unwrap();
                std::thread::sleep(Duration::from_millis(400));
                std::fs::write(&file, next).unwrap();
                let started = Instant::now();
                while version().ok().as_deref() != Some(name) {
                    assert!(
                        started.elapsed() < Duration::from_secs(30),
                        "swap {swap}: {name} never served"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            swapped.store(true, Ordering::SeqCst);
        });
    });
    let calls = done.into_inner();
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed, e.g. {}",
        failures.len(),
        failures[0]
    );
    let seen = seen.into_inner().unwrap();
    assert!(calls >= CALLS, "{calls}");
    assert!(
        seen.get("1.0.0").is_some_and(|n| *n > 0) && seen.get("2.0.0").is_some_and(|n| *n > 0),
        "answers did not follow the swaps: {seen:?}"
    );
    eprintln!("{calls} calls, {SWAPS} swaps, answers by version: {seen:?}");
}
