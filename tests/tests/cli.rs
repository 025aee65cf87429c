//! The command line: `paddock call` against a running daemon, `inspect`,
//! `check`, `slots`, `drivers`, and `new` → `cargo build` → a driver that
//! `inspect` accepts and a daemon serves.

use paddock_integration::{
    Daemon, assert_contains, clean_env, cli, json, plugins_dir, shared_data_dir, wasm,
    workspace_root,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn plugins_arg() -> String {
    plugins_dir().display().to_string()
}

fn data_arg() -> String {
    shared_data_dir().display().to_string()
}

#[test]
fn call_through_the_running_daemon() {
    let d = Daemon::start();
    d.ok("storage", "create_container", json!({"name": "default"}));
    let url = d.base_url().to_string();
    let files = tempfile::tempdir().unwrap();
    let body_file = files.path().join("hello.txt");
    std::fs::write(&body_file, "hello from the CLI\n").unwrap();

    let out = d.cli(&[
        "call",
        "storage",
        "put",
        "--url",
        &url,
        "--json",
        r#"{"container": "default", "key": "cli/hello.txt", "content_type": "text/plain", "metadata": {"by": "cli"}}"#,
        "--body-file",
        body_file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let meta: Value = serde_json::from_str(&out.stdout).expect("put prints the meta as JSON");
    assert_eq!(meta["size"], 19);
    assert_eq!(meta["key"], "cli/hello.txt");

    // It went through the daemon: the daemon has the object.
    let head = d.ok(
        "storage",
        "head",
        json!({"container": "default", "key": "cli/hello.txt"}),
    );
    assert_eq!(head["content_type"], "text/plain");
    assert_eq!(head["metadata"], json!({"by": "cli"}));
    assert_eq!(head["etag"], meta["etag"]);

    // get: to a file, and to stdout.
    let out_file = files.path().join("got.txt");
    let out = d.cli(&[
        "call",
        "storage",
        "get",
        "--url",
        &url,
        "--json",
        r#"{"container": "default", "key": "cli/hello.txt"}"#,
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read(&out_file).unwrap(), b"hello from the CLI\n");
    let out = d.cli(&[
        "call",
        "storage",
        "get",
        "--url",
        &url,
        "--json",
        r#"{"container": "default", "key": "cli/hello.txt", "range": {"offset": 6, "length": 4}}"#,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "from");

    // db query against the daemon's state, arguments from a file.
    d.ok(
        "db",
        "execute",
        json!({"sql": "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT)"}),
    );
    d.ok(
        "db",
        "execute",
        json!({"sql": "INSERT INTO pets (name) VALUES ('rex'), ('tom')"}),
    );
    let args_file = files.path().join("query.json");
    std::fs::write(
        &args_file,
        r#"{"sql": "SELECT name FROM pets WHERE id = ?", "params": [{"integer": 2}]}"#,
    )
    .unwrap();
    let at_args = format!("@{}", args_file.display());
    let out = d.cli(&["call", "db", "query", "--url", &url, "--json", &at_args]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows["rows"], json!([[{"text": "tom"}]]));
    let out = d.cli(&[
        "call",
        "database",
        "query",
        "--url",
        &url,
        "--json",
        r#"{"sql": "SELECT COUNT(*) FROM pets"}"#,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains(&out.stdout, &["\"integer\": 2"]);

    // Failures: the error kind and message on stderr, exit code 1.
    let out = d.cli(&["call", "db", "drop_all", "--url", &url]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains(
        &out.stderr,
        &["error: unknown-verb: slot 'db' (driver 'sqlite') has no verb 'drop_all'"],
    );
    let out = d.cli(&[
        "call",
        "db",
        "query",
        "--url",
        &url,
        "--json",
        r#"{"sql": "DELETE FROM pets"}"#,
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_contains(&out.stderr, &["error: access-denied:"]);
    let out = d.cli(&["call", "db", "query", "--url", &url, "--json", "{nope"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains(&out.stderr, &["--json is not valid JSON"]);

    // In-process: a fresh daemon state, without the table made above.
    let out = d.cli(&[
        "call",
        "db",
        "list_tables",
        "--in-process",
        "--data",
        &data_arg(),
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).unwrap(),
        json!([])
    );
}

struct Expect {
    file: &'static str,
    headline: &'static str,
    domain: &'static str,
    verbs: &'static [&'static str],
    lines: &'static [&'static str],
}

#[test]
fn inspect_prints_each_drivers_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        Expect {
            file: "fake_db",
            headline: "fake_db 0.1.0 — db driver",
            domain: "db",
            verbs: &[
                "create_branch",
                "create_table",
                "delete_branch",
                "execute",
                "health",
                "list_branches",
                "list_tables",
                "migrate",
                "query",
                "read_rows",
                "write_rows",
            ],
            lines: &[
                "concurrency: serialized",
                "state:   yes",
                "http:    none",
                "(none)",
            ],
        },
        Expect {
            file: "fake_storage",
            headline: "fake_storage 0.1.0 — storage driver",
            domain: "storage",
            verbs: &[
                "create_container",
                "delete",
                "delete_container",
                "get",
                "head",
                "health",
                "list",
                "list_containers",
                "put",
            ],
            lines: &["implements:  paddock:driver/storage@0.1.0", "state:   yes"],
        },
        Expect {
            file: "fake_deploy",
            headline: "fake_deploy 0.1.0 — deploy driver",
            domain: "deploy",
            verbs: &[
                "cancel",
                "create",
                "get",
                "health",
                "list",
                "list_env",
                "logs",
                "promote",
                "rollback",
                "set_env",
                "unset_env",
            ],
            lines: &[
                "aliases:     fake_frontend, fake_backend",
                "url_suffix default \"fake.paddock.local\"",
            ],
        },
        Expect {
            file: "faulty_db",
            headline: "faulty_db 0.1.0 — db driver",
            domain: "db",
            verbs: &["execute", "health", "list_tables", "query"],
            lines: &["concurrency: parallel", "state:   no"],
        },
    ];
    for case in cases {
        let path = wasm(case.file);
        let file = path.to_str().unwrap();
        let out = cli(dir.path(), &["inspect", file], &[]);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.starts_with(case.headline), "{out:?}");
        assert_contains(&out.stdout, case.lines);
        let verbs_line = out
            .stdout
            .lines()
            .find(|l| l.starts_with("verbs:"))
            .unwrap_or_else(|| panic!("no verbs line: {out:?}"));
        for verb in case.verbs {
            assert!(
                verbs_line
                    .trim_start_matches("verbs:")
                    .split(',')
                    .any(|v| v.trim() == *verb),
                "{verb} is not in {verbs_line:?}"
            );
        }

        let out = cli(dir.path(), &["inspect", file, "--json"], &[]);
        assert_eq!(out.code, 0, "{out:?}");
        let j: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["name"], case.file);
        assert_eq!(j["domain"], case.domain);
        assert_eq!(j["version"], "0.1.0");
        assert_eq!(j["wit_version"], "0.1.0");
        assert_eq!(
            j["interface"],
            format!("paddock:driver/{}@0.1.0", case.domain)
        );
        assert_eq!(j["file"], file);
        assert_eq!(j["sha256"].as_str().unwrap().len(), 64);
        let verbs: Vec<&str> = j["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if case.file != "faulty_db" {
            assert_eq!(verbs, case.verbs, "{}", case.file);
        }
        assert!(!verbs.contains(&"describe"));
    }

    // What is not a driver is refused, with the reason, exit code 4.
    let out = cli(
        dir.path(),
        &["inspect", wasm("not_a_driver").to_str().unwrap()],
        &[],
    );
    assert_eq!(out.code, 4, "{out:?}");
    assert_contains(&out.stderr, &["is not a paddock driver", "exports none of"]);
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, "plain text").unwrap();
    let out = cli(dir.path(), &["inspect", junk.to_str().unwrap()], &[]);
    assert_eq!(out.code, 4, "{out:?}");
    assert_contains(&out.stderr, &["magic bytes"]);
    let out = cli(dir.path(), &["inspect", "missing.wasm"], &[]);
    assert_eq!(out.code, 4, "{out:?}");
    assert_contains(&out.stderr, &["cannot read", "missing.wasm"]);
}

#[test]
fn check_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (plugins, data) = (plugins_arg(), data_arg());
    let check = |dir: &Path, env: &[(&str, &str)]| {
        cli(dir, &["check", "--plugins", &plugins, "--data", &data], env)
    };

    // No config: every slot has its default driver.
    let out = check(dir.path(), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains(
        &out.stdout,
        &[
            "config:  none (built-in defaults)",
            "✓ slot db → sqlite (default)",
            "✓ slot frontend → fake_frontend (default)",
            "ok: every slot has a working driver",
        ],
    );

    // A driver that is not installed, and a driver missing its variables.
    std::fs::write(
        dir.path().join("paddock.toml"),
        "[slots.db]\ndriver = \"neon\"\n[slots.db.grants]\nsecrets = [\"NEON_API_KEY\"]\n\n[slots.cache]\ndriver = \"redis\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/drivers.toml"),
        "[storage]\ndriver = \"fake_storage\"\n\n[storage.drivers.fake_storage]\nrequired_env = [\"FAKE_STORAGE_TOKEN\", \"FAKE_STORAGE_REGION\"]\n",
    )
    .unwrap();
    let out = check(dir.path(), &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_contains(
        &out.stdout,
        &[
            "✗ slot db (paddock.toml (",
            "Failed to load database driver 'neon': Missing required environment variables: NEON_API_KEY, NEON_PROJECT_ID",
            "✗ slot cache (paddock.toml (",
            "no driver named 'redis'",
            "✗ slot storage (drivers.toml (",
            "Failed to load storage driver 'fake_storage': Missing required environment variables: FAKE_STORAGE_TOKEN, FAKE_STORAGE_REGION",
            "✓ slot backend → fake_backend (default)",
            "3 problem(s) found",
        ],
    );

    // Set the variables and choose the driver by env: fixed.
    let out = check(
        dir.path(),
        &[
            ("FAKE_STORAGE_TOKEN", "t"),
            ("FAKE_STORAGE_REGION", "eu"),
            ("DB_DRIVER", "fake_db"),
            ("CACHE_DRIVER", "fake_storage"),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains(&out.stdout, &["✓ slot db → fake_db (env DB_DRIVER)"]);

    // A broken file in the plugins folder is a problem too.
    let broken = tempfile::tempdir().unwrap();
    for name in ["sqlite_db", "local_storage", "fake_deploy"] {
        std::fs::copy(wasm(name), broken.path().join(format!("{name}.wasm"))).unwrap();
    }
    std::fs::write(broken.path().join("junk.wasm"), "junk").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = cli(
        empty.path(),
        &[
            "check",
            "--plugins",
            broken.path().to_str().unwrap(),
            "--data",
            &data,
        ],
        &[],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_contains(
        &out.stdout,
        &["✗ driver file", "junk.wasm", "1 problem(s) found"],
    );
}

#[test]
fn slots_and_drivers_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (plugins, data) = (plugins_arg(), data_arg());
    let out = cli(
        dir.path(),
        &["slots", "--json", "--plugins", &plugins, "--data", &data],
        &[("STORAGE_DRIVER", "fake_storage")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    let storage = j["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == "storage")
        .unwrap()
        .clone();
    assert_eq!(storage["driver_source"], "env STORAGE_DRIVER");
    assert_eq!(storage["status"], "ready");

    let out = cli(
        dir.path(),
        &["drivers", "--json", "--plugins", &plugins, "--data", &data],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = j["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for reference in ["fake_db", "fake_deploy", "fake_storage", "local"] {
        assert!(
            names.contains(&reference),
            "{reference} missing from {names:?}"
        );
    }
    let out = cli(
        dir.path(),
        &["drivers", "--plugins", &plugins, "--data", &data],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains(
        &out.stdout,
        &["fake_deploy", "(also fake_frontend, fake_backend)"],
    );
}

/// A required variable set to the empty string counts as missing.
#[test]
fn check_counts_an_empty_required_variable_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/drivers.toml"),
        "[storage]\ndriver = \"fake_storage\"\n\n[storage.drivers.fake_storage]\nrequired_env = [\"FAKE_STORAGE_TOKEN\"]\n",
    )
    .unwrap();
    let out = cli(
        dir.path(),
        &["check", "--plugins", &plugins_arg(), "--data", &data_arg()],
        &[("FAKE_STORAGE_TOKEN", "")],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_contains(
        &out.stdout,
        &["Missing required environment variables: FAKE_STORAGE_TOKEN"],
    );
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

#[test]
fn new_scaffolds_a_driver_that_builds_inspects_and_serves() {
    let Some(cargo) = find_on_path("cargo") else {
        eprintln!("skipped: `cargo` is not on PATH, so the scaffolded driver cannot be built");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("my_store");
    let new_args = [
        "new",
        "storage",
        "my_store",
        "--dir",
        crate_dir.to_str().unwrap(),
    ];
    let out = cli(dir.path(), &new_args, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains(&out.stdout, &["storage driver 'my_store'"]);
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        ".cargo/config.toml",
        "README.md",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} was not created");
    }
    // Scaffolding into an existing folder is refused.
    let again = cli(dir.path(), &new_args, &[]);
    assert_eq!(again.code, 2, "{again:?}");

    // Shared target folder: dependencies are built once across runs.
    let target = workspace_root().join("target/scaffold");
    let mut build = Command::new(cargo);
    build.args(["build", "--release"]).current_dir(&crate_dir);
    clean_env(&mut build);
    build.env("CARGO_TARGET_DIR", &target);
    let built = build.output().expect("running cargo build");
    assert!(
        built.status.success(),
        "cargo build of the scaffold failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let driver = target.join("wasm32-wasip2/release/my_store.wasm");
    assert!(driver.is_file(), "{} was not built", driver.display());

    let out = cli(
        dir.path(),
        &["inspect", driver.to_str().unwrap(), "--json"],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j["name"], "my_store");
    assert_eq!(j["domain"], "storage");
    assert!(j["verbs"].as_array().unwrap().contains(&json!("put")));

    // Dropped into a plugins folder, it serves the storage slot.
    let d = Daemon::builder()
        .plugins(&["fake_db", "sqlite_db", "fake_deploy"])
        .plugin_bytes("my_store.wasm", std::fs::read(&driver).unwrap())
        .env("STORAGE_DRIVER", "my_store")
        .start();
    let h = d.get("/health/storage").expect_status(200).json();
    assert_eq!(h["driver"], "my_store");
    let e = d.fail(
        "storage",
        "put",
        json!({"container": "default", "key": "k", "body": "x"}),
        501,
        "unsupported",
    );
    assert_contains(e["message"].as_str().unwrap(), &["my_store"]);
}
