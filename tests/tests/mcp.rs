//! The MCP server, driven by the official MCP Python SDK (`tests/mcp/client.py`
//! in the virtualenv `cargo xtask test` makes) over both transports —
//! streamable HTTP (`/mcp` on the daemon) and stdio (`paddock mcp`) — and
//! both lifecycles the SDK speaks: the `initialize` handshake (`legacy`,
//! protocol 2025-11-25) and per-request metadata (`auto`, 2026-07-28).
//!
//! The tool list of a default daemon is compared with
//! `tests/mcp/tools.snapshot.json`; `PADDOCK_UPDATE_SNAPSHOTS=1` rewrites it.

use paddock_integration::{
    Daemon, clean_env, json, paddock_bin, plugins_dir, shared_cache_dir, wasm, workspace_root,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one client run may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

const MODES: [&str; 2] = ["legacy", "auto"];

/// The virtualenv's python, or `None` (after saying why) when it is missing.
fn python() -> Option<PathBuf> {
    let python = match std::env::var_os("PADDOCK_TEST_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join("target/mcp-venv/bin/python"),
    };
    if python.is_file() {
        return Some(python);
    }
    eprintln!(
        "skipping: the MCP tests need the MCP Python SDK in a virtualenv ({} is missing); \
         run them with `cargo xtask test`, which creates it, or set PADDOCK_TEST_PYTHON",
        python.display()
    );
    None
}

/// Where the client finds the server.
enum Server<'a> {
    /// The daemon's `/mcp`.
    Http(&'a Daemon),
    /// `paddock mcp` started by the client, serving this plugins folder, in
    /// this working folder; its pid is written to `pidfile`.
    Stdio {
        plugins: &'a Path,
        workdir: &'a Path,
        pidfile: PathBuf,
    },
}

/// A running `client.py`, its stdout read line by line.
struct ClientRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
    started: Instant,
    what: String,
}

fn start_client(
    python: &Path,
    server: &Server,
    mode: &str,
    scenario: &str,
    input: Option<&Value>,
) -> ClientRun {
    let mut cmd = Command::new(python);
    clean_env(&mut cmd);
    cmd.arg(workspace_root().join("tests/mcp/client.py"));
    let workdir = match server {
        Server::Http(daemon) => {
            cmd.args(["--transport", "http", "--url", &daemon.url("/mcp")]);
            daemon.workdir().to_path_buf()
        }
        Server::Stdio {
            workdir, pidfile, ..
        } => {
            cmd.args(["--transport", "stdio", "--pidfile"]).arg(pidfile);
            workdir.to_path_buf()
        }
    };
    cmd.args(["--mode", mode, scenario]);
    if let Server::Stdio { plugins, .. } = server {
        cmd.arg("--")
            .arg(paddock_bin())
            .args(["mcp", "--plugins"])
            .arg(plugins)
            .arg("--data")
            .arg(workdir.join(".paddock"));
        cmd.env("PADDOCK_CACHE", shared_cache_dir());
    }
    cmd.current_dir(workdir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting tests/mcp/client.py");
    let mut stdin = child.stdin.take().expect("piped");
    if let Some(input) = input {
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("writing the calls");
    }
    drop(stdin);
    let stdout = child.stdout.take().expect("piped");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().expect("piped");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    ClientRun {
        child,
        lines,
        stderr,
        started: Instant::now(),
        what: format!(
            "client.py {scenario} ({mode}, {})",
            match server {
                Server::Http(_) => "http",
                Server::Stdio { .. } => "stdio",
            }
        ),
    }
}

impl ClientRun {
    /// The next event the client prints; panics with its stderr on exit or timeout.
    fn next_event(&mut self, wanted: &str) -> Value {
        loop {
            let left = CLIENT_TIMEOUT.saturating_sub(self.started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let Ok(event) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    if event["event"] == wanted {
                        return event;
                    }
                }
                Err(e) => self.fail(&format!("no `{wanted}` event ({e})")),
            }
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        let stderr = stderr.join().unwrap_or_default();
        panic!(
            "{}: {why}; exit {status:?}\n--- its stderr ---\n{stderr}\n--- end ---",
            self.what
        );
    }

    /// The `result` event, after which the client must exit cleanly.
    fn finish(mut self) -> Value {
        let result = self.next_event("result");
        let status = self.child.wait().expect("waiting for the client");
        if !status.success() {
            self.fail(&format!("it exited with {status}"));
        }
        result
    }
}

fn run_client(
    python: &Path,
    server: &Server,
    mode: &str,
    scenario: &str,
    input: Option<&Value>,
) -> Value {
    start_client(python, server, mode, scenario, input).finish()
}

/// A plugins folder of its own, holding copies of these drivers.
fn private_plugins(dir: &Path, names: &[&str]) -> PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in names {
        std::fs::copy(wasm(name), plugins.join(format!("{name}.wasm"))).unwrap();
    }
    plugins
}

fn sighup(pid: u32) {
    let status = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -HUP {pid} failed");
}

/// The names in a list of tools (objects) or of names.
fn tool_names(tools: &Value) -> Vec<String> {
    tools
        .as_array()
        .expect("a list of tools")
        .iter()
        .map(|t| {
            t.as_str()
                .or(t["name"].as_str())
                .expect("a name")
                .to_string()
        })
        .collect()
}

/// `tools/list` of a default daemon, over every transport and lifecycle,
/// against the snapshot; every verb of every slot is there.
#[test]
fn every_slot_verb_is_a_tool_and_the_list_matches_the_snapshot() {
    let Some(python) = python() else { return };
    let daemon = Daemon::start();
    let scratch = tempfile::tempdir().unwrap();
    let stdio = Server::Stdio {
        plugins: &plugins_dir(),
        workdir: scratch.path(),
        pidfile: scratch.path().join("mcp.pid"),
    };
    let mut lists = Vec::new();
    for server in [Server::Http(&daemon), stdio] {
        for mode in MODES {
            let result = run_client(&python, &server, mode, "tools", None);
            let expected_version = if mode == "legacy" {
                "2025-11-25"
            } else {
                "2026-07-28"
            };
            assert_eq!(result["protocol_version"], expected_version, "{result}");
            assert_eq!(result["server_info"]["name"], "paddock");
            assert_eq!(result["capabilities"]["tools"]["listChanged"], true);
            lists.push(result["tools"].clone());
        }
    }
    for other in &lists[1..] {
        assert_eq!(
            other, &lists[0],
            "every transport and lifecycle lists the same tools"
        );
    }
    let tools = &lists[0];

    let slots = daemon.get("/v1/slots").expect_status(200).json();
    let mut expected = Vec::new();
    for slot in slots["slots"].as_array().unwrap() {
        assert_eq!(slot["status"], "ready", "{slot}");
        for verb in slot["verbs"].as_array().unwrap() {
            expected.push(format!(
                "{}.{}",
                slot["slot"].as_str().unwrap(),
                verb.as_str().unwrap()
            ));
        }
    }
    let mut names = tool_names(tools);
    names.sort();
    expected.sort();
    assert_eq!(names, expected, "one tool per slot verb");
    for needed in [
        "storage.put",
        "storage.get",
        "db.query",
        "db.migrate",
        "frontend.create",
        "backend.create",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed} is missing");
    }
    for tool in tools.as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(
            tool["description"].as_str().unwrap().contains("served by "),
            "{tool}"
        );
    }

    let snapshot = workspace_root().join("tests/mcp/tools.snapshot.json");
    let pretty = serde_json::to_string_pretty(tools).unwrap() + "\n";
    if std::env::var_os("PADDOCK_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&snapshot, &pretty).unwrap();
        eprintln!("rewrote {}", snapshot.display());
        return;
    }
    let stored = std::fs::read_to_string(&snapshot).unwrap_or_default();
    let stored: Value = serde_json::from_str(&stored).unwrap_or(Value::Null);
    if &stored != tools {
        let find = |list: &Value, name: &str| {
            list.as_array()
                .and_then(|l| l.iter().find(|t| t["name"] == name).cloned())
                .unwrap_or(Value::Null)
        };
        let changed: Vec<String> = names
            .iter()
            .filter(|n| find(&stored, n) != find(tools, n))
            .cloned()
            .collect();
        let gone: Vec<String> = if stored.is_array() {
            tool_names(&stored)
                .into_iter()
                .filter(|n| !names.contains(n))
                .collect()
        } else {
            Vec::new()
        };
        let first = changed.first().map(|n| {
            let show = |v: Value| {
                serde_json::to_string_pretty(&v)
                    .unwrap()
                    .chars()
                    .take(3000)
                    .collect::<String>()
            };
            format!(
                "\n--- {n}, stored ---\n{}\n--- {n}, now ---\n{}",
                show(find(&stored, n)),
                show(find(tools, n))
            )
        });
        panic!(
            "tools/list differs from {} (changed or new: {changed:?}; gone: {gone:?}). \
             If the change is intended, rerun with PADDOCK_UPDATE_SNAPSHOTS=1.{}",
            snapshot.display(),
            first.unwrap_or_default()
        );
    }
}

/// One call and what must come of it.
struct Case {
    name: &'static str,
    arguments: Value,
    /// Whether the arguments are valid (the tool's schema must agree).
    valid: bool,
    /// `Ok` for a result, `Err(kind)` for a tool error, `Err("protocol")` for
    /// a JSON-RPC error (an unknown tool).
    outcome: Result<(), &'static str>,
}

fn case(
    name: &'static str,
    arguments: Value,
    valid: bool,
    outcome: Result<(), &'static str>,
) -> Case {
    Case {
        name,
        arguments,
        valid,
        outcome,
    }
}

fn cases(migrations: &Path) -> Vec<Case> {
    let dir = migrations.display().to_string();
    vec![
        case(
            "storage.create_container",
            json!({"name": "default"}),
            true,
            Ok(()),
        ),
        case(
            "storage.put",
            json!({"container": "default", "key": "mcp/hello.txt", "body": "hello over MCP", "content_type": "text/plain", "metadata": {"via": "mcp"}}),
            true,
            Ok(()),
        ),
        case(
            "storage.get",
            json!({"container": "default", "key": "mcp/hello.txt"}),
            true,
            Ok(()),
        ),
        case(
            "storage.put",
            json!({"container": "default", "key": "mcp/bytes.bin", "body_base64": "AAEC/w=="}),
            true,
            Ok(()),
        ),
        case(
            "storage.get",
            json!({"container": "default", "key": "mcp/bytes.bin"}),
            true,
            Ok(()),
        ),
        case(
            "storage.get",
            json!({"container": "default", "key": "mcp/hello.txt", "range": {"offset": 6, "length": 4}}),
            true,
            Ok(()),
        ),
        case(
            "db.execute",
            json!({"sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"}),
            true,
            Ok(()),
        ),
        case(
            "db.execute",
            json!({"sql": "INSERT INTO notes (id, body) VALUES (?, ?)", "params": [{"integer": 1}, {"text": "hi"}]}),
            true,
            Ok(()),
        ),
        case(
            "db.query",
            json!({"sql": "SELECT body FROM notes WHERE id = ?", "params": [{"integer": 1}]}),
            true,
            Ok(()),
        ),
        case("db.query", json!({"sql": "SELECT 1"}), true, Ok(())),
        // The default db driver, sqlite, has no branches: a tool error.
        case("db.list_branches", json!({}), true, Err("unsupported")),
        case(
            "db.migrate",
            json!({"dir": dir, "dry_run": true}),
            true,
            Ok(()),
        ),
        case("frontend.list", json!({}), true, Ok(())),
        // Invalid arguments: the schema refuses them, and so does the server.
        case("db.query", json!({"sql": 5}), false, Err("invalid-input")),
        case(
            "db.query",
            json!({"sql": "SELECT 1", "limit": 3}),
            false,
            Err("invalid-input"),
        ),
        case(
            "db.query",
            json!({"sql": "SELECT 1", "params": [{"integer": true}]}),
            false,
            Err("invalid-input"),
        ),
        case("db.query", json!({}), false, Err("invalid-input")),
        case(
            "storage.put",
            json!({"container": "default", "key": "x"}),
            false,
            Err("invalid-input"),
        ),
        case(
            "storage.put",
            json!({"container": "default", "key": "x", "body": "a", "body_base64": "YQ=="}),
            false,
            Err("invalid-input"),
        ),
        case(
            "storage.get",
            json!({"container": "default", "key": "x", "range": {"offset": -1}}),
            false,
            Err("invalid-input"),
        ),
        case(
            "db.write_rows",
            json!({"table": "notes", "columns": ["id"], "rows": [], "mode": "replace"}),
            false,
            Err("invalid-input"),
        ),
        // Driver errors carry the WIT error kind.
        case(
            "storage.get",
            json!({"container": "default", "key": "missing"}),
            true,
            Err("not-found"),
        ),
        case(
            "storage.create_container",
            json!({"name": "default"}),
            true,
            Err("already-exists"),
        ),
        case(
            "db.query",
            json!({"sql": "DELETE FROM notes"}),
            true,
            Err("access-denied"),
        ),
        case(
            "storage.create_container",
            json!({"name": "default"}),
            true,
            Err("already-exists"),
        ),
        // An unknown tool is a protocol error.
        case("nope.nothing", json!({}), true, Err("protocol")),
    ]
}

fn check_calls(result: &Value, cases: &[Case], what: &str) {
    let calls = result["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), cases.len());
    for (call, case) in calls.iter().zip(cases) {
        let label = format!("{what}: {} {}", case.name, case.arguments);
        assert!(
            call.get("client_error").is_none(),
            "{label}: the SDK refused the answer: {call}"
        );
        if case.outcome == Err("protocol") {
            assert!(
                call["protocol_error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("no tool named"),
                "{label}: {call}"
            );
            continue;
        }
        assert_eq!(
            call["schema_valid"],
            case.valid,
            "{label}: the tool's schema {} valid arguments: {:?}",
            if case.valid { "rejects" } else { "accepts" },
            call["schema_errors"]
        );
        match case.outcome {
            Ok(()) => assert_eq!(call["is_error"], false, "{label}: {call}"),
            Err(kind) => {
                assert_eq!(call["is_error"], true, "{label}: {call}");
                let error = &call["structured"]["error"];
                assert_eq!(error["kind"], kind, "{label}: {call}");
                assert!(
                    error["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{label}: {call}"
                );
                assert_eq!(
                    error["slot"],
                    case.name.split('.').next().unwrap(),
                    "{label}"
                );
            }
        }
    }
    // Case 0 creates the container.
    let answer = |i: usize| &calls[i]["structured"];
    assert_eq!(answer(1)["key"], "mcp/hello.txt");
    assert_eq!(answer(1)["size"], 14);
    assert_eq!(answer(2)["body"], "hello over MCP");
    assert_eq!(answer(2)["meta"]["content_type"], "text/plain");
    assert_eq!(answer(2)["meta"]["metadata"], json!({"via": "mcp"}));
    assert_eq!(answer(4)["body_base64"], "AAEC/w==");
    assert!(answer(4).get("body").is_none());
    assert_eq!(answer(5)["body"], "over");
    assert_eq!(answer(5)["offset"], 6);
    assert_eq!(answer(8)["rows"], json!([[{"text": "hi"}]]));
    assert_eq!(answer(9)["rows"], json!([[{"integer": 1}]]));
    assert_eq!(
        answer(11)["migrations"][0]["state"],
        "pending",
        "{}",
        answer(11)
    );
    assert!(answer(12)["deployments"].is_array(), "{}", answer(12));
    // The error text says what was wrong.
    let text = calls[13]["structured"]["error"]["message"]
        .as_str()
        .unwrap();
    assert!(text.contains("`sql`"), "{text}");
}

fn migrations_dir(dir: &Path) -> PathBuf {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("0001_init.sql"),
        "CREATE TABLE t (x INTEGER);",
    )
    .unwrap();
    migrations
}

#[test]
fn calls_over_http() {
    let Some(python) = python() else { return };
    for mode in MODES {
        let daemon = Daemon::start();
        let cases = cases(&migrations_dir(daemon.workdir()));
        let input: Vec<Value> = cases
            .iter()
            .map(|c| json!({"name": c.name, "arguments": c.arguments}))
            .collect();
        let result = run_client(
            &python,
            &Server::Http(&daemon),
            mode,
            "calls",
            Some(&json!(input)),
        );
        check_calls(&result, &cases, &format!("http {mode}"));
    }
}

#[test]
fn calls_over_stdio() {
    let Some(python) = python() else { return };
    for mode in MODES {
        let scratch = tempfile::tempdir().unwrap();
        let cases = cases(&migrations_dir(scratch.path()));
        let input: Vec<Value> = cases
            .iter()
            .map(|c| json!({"name": c.name, "arguments": c.arguments}))
            .collect();
        let server = Server::Stdio {
            plugins: &plugins_dir(),
            workdir: scratch.path(),
            pidfile: scratch.path().join("mcp.pid"),
        };
        let result = run_client(&python, &server, mode, "calls", Some(&json!(input)));
        check_calls(&result, &cases, &format!("stdio {mode}"));
    }
}

/// Waits for a client to be ready, changes the plugins folder, sends SIGHUP to
/// `pid()`, and returns what the client saw.
fn watch_change(mut run: ClientRun, change: impl FnOnce(), pid: impl FnOnce() -> u32) -> Value {
    let ready = run.next_event("ready");
    assert!(!tool_names(&ready["tools"]).is_empty(), "{ready}");
    change();
    sighup(pid());
    run.finish()
}

/// Removing `fake_deploy.wasm` drops the `frontend.*`/`backend.*` tools; putting
/// it back brings them back. Each time the client hears tools/list_changed.
fn check_changes(python: &Path, server: &Server, plugins: &Path, pid: &dyn Fn() -> u32) {
    let deploy = plugins.join("fake_deploy.wasm");
    for mode in MODES {
        let removing = deploy.exists();
        let run = start_client(python, server, mode, "watch", None);
        let result = watch_change(
            run,
            || {
                if removing {
                    std::fs::remove_file(&deploy).unwrap();
                } else {
                    std::fs::copy(wasm("fake_deploy"), &deploy).unwrap();
                }
            },
            pid,
        );
        let what = format!("{mode}: {result}");
        assert_eq!(
            result["notified"], true,
            "no notifications/tools/list_changed ({what})"
        );
        let (before, after) = (tool_names(&result["before"]), tool_names(&result["after"]));
        let (with, without) = if removing {
            (&before, &after)
        } else {
            (&after, &before)
        };
        assert!(with.iter().any(|n| n == "frontend.create"), "{what}");
        assert!(
            !without
                .iter()
                .any(|n| n.starts_with("frontend.") || n.starts_with("backend.")),
            "{what}"
        );
        assert!(without.iter().any(|n| n == "db.query"), "{what}");
    }
}

#[test]
fn tool_list_changes_are_notified_over_http() {
    let Some(python) = python() else { return };
    let daemon = Daemon::builder()
        .plugins(&[
            "fake_db",
            "sqlite_db",
            "fake_storage",
            "local_storage",
            "fake_deploy",
        ])
        .start();
    let plugins = daemon.plugins_dir().to_path_buf();
    check_changes(&python, &Server::Http(&daemon), &plugins, &|| daemon.pid());
}

#[test]
fn tool_list_changes_are_notified_over_stdio() {
    let Some(python) = python() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let plugins = private_plugins(
        scratch.path(),
        &["sqlite_db", "local_storage", "fake_deploy"],
    );
    let pidfile = scratch.path().join("mcp.pid");
    let server = Server::Stdio {
        plugins: &plugins,
        workdir: scratch.path(),
        pidfile: pidfile.clone(),
    };
    let pid = || {
        let text = std::fs::read_to_string(&pidfile).expect("the client wrote the server's pid");
        text.trim().parse().expect("a pid")
    };
    check_changes(&python, &server, &plugins, &pid);
}
