//! `paddock test-driver`: the conformance kit passes on the reference
//! storage and db drivers and says what is wrong otherwise.

use paddock_integration::{cli, wasm};
use serde_json::Value;

fn kit(domain: &str, driver: &str, extra: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = wasm(driver).display().to_string();
    let mut args = vec!["test-driver", domain, file.as_str(), "--json"];
    args.extend(extra);
    let out = cli(dir.path(), &args, &[]);
    let report: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.code, report)
}

fn assert_passes(domain: &str, driver: &str, extra: &[&str]) {
    let (code, report) = kit(domain, driver, extra);
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(code, 0);
    assert!(report["passed"].as_u64().unwrap() >= 17, "{report}");
}

#[test]
fn local_passes_with_a_64_mib_object() {
    assert_passes("storage", "local_storage", &[]);
}

#[test]
fn fake_storage_passes() {
    assert_passes("storage", "fake_storage", &["--large-mb", "8"]);
}

#[test]
fn sqlite_passes() {
    assert_passes("db", "sqlite_db", &[]);
}

#[test]
fn fake_db_passes() {
    assert_passes("db", "fake_db", &[]);
}

#[test]
fn the_kit_refuses_drivers_of_other_domains_and_unknown_suites() {
    let dir = tempfile::tempdir().unwrap();
    let db = wasm("fake_db").display().to_string();
    let out = cli(dir.path(), &["test-driver", "storage", &db], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("is a db driver"), "{out:?}");
    let out = cli(dir.path(), &["test-driver", "queue", &db], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("suites exist for storage and db"),
        "{out:?}"
    );
}
