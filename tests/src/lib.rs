//! Harness of paddock's end-to-end tests: starts the real `paddock` binary
//! on a free loopback port, in a temporary working directory with exactly
//! the environment, files and drivers a test gives it, and talks to it over
//! HTTP or through the CLI.
//!
//! Where things are found (each overridable by `cargo xtask test`):
//! - the binary: `PADDOCK_BIN`, else `<workspace>/target/debug/paddock`;
//! - the drivers: `PADDOCK_TEST_PLUGINS`, else `<workspace>/.paddock/plugins`;
//! - the test components: `PADDOCK_TEST_COMPONENTS`, else
//!   `<workspace>/target/test-components`.
//!
//! Build them all with `cargo xtask build`.
//!
//! Every daemon shares one data folder, `<workspace>/target/test-cache`, so
//! drivers are compiled once across all tests (slot state lives in each
//! daemon's memory, so sharing it is safe). The child starts with a cleared
//! environment (only `PATH`, `HOME` and what the test sets), so nothing of
//! the developer's environment (`DB_DRIVER`, `DATABASE_URL`…) leaks in. Its
//! stderr goes to a file that is printed when a test fails; the daemon is
//! killed when the [`Daemon`] is dropped.

use serde_json::Value;
use std::fmt;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use reqwest::blocking::{Client, RequestBuilder};
pub use reqwest::{Method, StatusCode};
pub use serde_json::json;

/// How long a daemon may take to answer `GET /health` after it starts.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

fn from_env_or(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => workspace_root().join(default),
    }
}

/// The `paddock` binary.
pub fn paddock_bin() -> PathBuf {
    let bin = from_env_or("PADDOCK_BIN", "target/debug/paddock");
    assert!(
        bin.is_file(),
        "the paddock binary is not at {}: run `cargo xtask build` first (or set PADDOCK_BIN)",
        bin.display()
    );
    bin
}

/// The folder of the reference drivers' `.wasm` files.
pub fn plugins_dir() -> PathBuf {
    from_env_or("PADDOCK_TEST_PLUGINS", ".paddock/plugins")
}

/// The folder of the test components (`faulty_db.wasm`, `not_a_driver.wasm`).
pub fn components_dir() -> PathBuf {
    from_env_or("PADDOCK_TEST_COMPONENTS", "target/test-components")
}

/// The data folder of one-shot CLI runs in tests.
pub fn shared_data_dir() -> PathBuf {
    workspace_root().join("target/test-cache")
}

/// The compiled-code cache every test daemon and CLI run shares.
pub fn shared_cache_dir() -> PathBuf {
    shared_data_dir().join("cache")
}

/// The `.wasm` file of a driver or test component by file stem
/// (`fake_db`, `faulty_db`), from the plugins folder or the components folder.
pub fn wasm(name: &str) -> PathBuf {
    let file = format!("{name}.wasm");
    let candidates = [plugins_dir().join(&file), components_dir().join(&file)];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{file} is in neither {} nor {}: run `cargo xtask build` first",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// An HTTP client that never goes through a proxy (the daemon is on loopback).
pub fn http_client(timeout: Duration) -> Client {
    Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("building the HTTP client")
}

/// An answer of the daemon, read whole.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    fn read(response: reqwest::blocking::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().expect("reading the answer").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {self:?}"))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("a text header").to_string())
    }

    /// Asserts the status; returns the reply for chaining.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "unexpected status: {self:?}");
        self
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        let shown: String = text.chars().take(2000).collect();
        write!(f, "HTTP {} {}", self.status, shown)
    }
}

/// Asserts that `reply` is the error `{"error": {"kind": kind, …}}` with
/// `status`; returns the `error` object.
#[track_caller]
pub fn assert_error(reply: &Reply, status: u16, kind: &str) -> Value {
    assert_eq!(reply.status, status, "unexpected status: {reply:?}");
    let body = reply.json();
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no `error` object in {reply:?}"))
        .clone();
    assert_eq!(error["kind"], kind, "unexpected error kind: {reply:?}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "the error has no message: {reply:?}"
    );
    error
}

/// The message of an error object, for `contains` checks.
pub fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap_or_default()
}

/// Asserts `text` contains every one of `parts`.
#[track_caller]
pub fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
}

/// How to start a daemon: environment, files in its working directory, drivers.
#[derive(Default)]
pub struct DaemonBuilder {
    env: Vec<(String, String)>,
    files: Vec<(PathBuf, Vec<u8>)>,
    plugins: Option<Vec<(String, PluginSource)>>,
}

enum PluginSource {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl DaemonBuilder {
    /// Sets an environment variable of the daemon.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Writes a file (path relative to the working directory) before the start.
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.files.push((path.into(), contents.as_ref().to_vec()));
        self
    }

    /// Serves from a private plugins folder holding copies of these drivers or
    /// test components (by file stem, see [`wasm`]) instead of the shared one.
    pub fn plugins(mut self, names: &[&str]) -> Self {
        let list = self.plugins.get_or_insert_with(Vec::new);
        for name in names {
            list.push((format!("{name}.wasm"), PluginSource::File(wasm(name))));
        }
        self
    }

    /// Adds a file with these bytes to the private plugins folder.
    pub fn plugin_bytes(mut self, file_name: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.plugins.get_or_insert_with(Vec::new).push((
            file_name.into(),
            PluginSource::Bytes(bytes.as_ref().to_vec()),
        ));
        self
    }

    /// Starts the daemon and waits until it answers `GET /health`.
    pub fn start(self) -> Daemon {
        let workdir = tempfile::Builder::new()
            .prefix("paddock-it-")
            .tempdir()
            .expect("creating the working directory");
        for (path, contents) in &self.files {
            let path = workdir.path().join(path);
            fs::create_dir_all(path.parent().expect("a file has a folder")).unwrap();
            fs::write(&path, contents).unwrap();
        }
        let plugins = match &self.plugins {
            None => plugins_dir(),
            Some(list) => {
                let dir = workdir.path().join("plugins");
                fs::create_dir_all(&dir).unwrap();
                for (file, source) in list {
                    match source {
                        PluginSource::File(from) => fs::copy(from, dir.join(file)).map(|_| ()),
                        PluginSource::Bytes(bytes) => fs::write(dir.join(file), bytes),
                    }
                    .unwrap_or_else(|e| panic!("writing plugin {file}: {e}"));
                }
                dir
            }
        };
        // Each daemon has its own data (slot folders, vault); all share the
        // compiled-code cache.
        let data = workdir.path().join(".paddock");
        fs::create_dir_all(&data).unwrap();
        let log_dir = tempfile::Builder::new()
            .prefix("paddock-it-log-")
            .tempdir()
            .unwrap();
        let stderr_path = log_dir.path().join("stderr.log");

        // The port is free when we look; if another process takes it before
        // the daemon binds, the daemon says so and we try another.
        let mut failure = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(paddock_bin());
            cmd.arg("serve")
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--plugins")
                .arg(&plugins)
                .arg("--data")
                .arg(&data)
                .current_dir(workdir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::from(
                    fs::File::create(log_dir.path().join("stdout.log")).unwrap(),
                ))
                .stderr(Stdio::from(fs::File::create(&stderr_path).unwrap()));
            clean_env(&mut cmd);
            cmd.env("PADDOCK_CACHE", shared_cache_dir());
            cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
            let mut child = cmd.spawn().expect("starting paddock serve");
            let base = format!("http://127.0.0.1:{port}");
            match wait_ready(&mut child, &base) {
                Ok(()) => {
                    return Daemon {
                        child,
                        port,
                        base,
                        client: http_client(Duration::from_secs(120)),
                        stderr_path,
                        plugins,
                        workdir,
                        _log_dir: log_dir,
                    };
                }
                Err(reason) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
                    failure = format!("{reason}\n--- its stderr ---\n{stderr}");
                    if !stderr.contains("cannot listen") {
                        break;
                    }
                }
            }
        }
        panic!("the daemon did not start: {failure}");
    }
}

fn wait_ready(child: &mut Child, base: &str) -> Result<(), String> {
    let probe = http_client(Duration::from_secs(2));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("polling the daemon") {
            return Err(format!("it exited with {status}"));
        }
        // 401: up, and asking for an API token.
        if let Ok(r) = probe.get(format!("{base}/health")).send()
            && (r.status().is_success() || r.status() == 401)
        {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(format!(
                "GET /health did not answer within {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Clears the environment of `cmd`, keeping what a process needs to run
/// (and `cargo`/`rustup` to find their homes).
pub fn clean_env(cmd: &mut Command) {
    cmd.env_clear();
    for var in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
    ] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd.env("NO_COLOR", "1");
}

/// A free loopback port (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding an ephemeral loopback port")
        .port()
}

/// A running `paddock serve`; killed when dropped.
pub struct Daemon {
    child: Child,
    port: u16,
    base: String,
    client: Client,
    stderr_path: PathBuf,
    plugins: PathBuf,
    workdir: tempfile::TempDir,
    _log_dir: tempfile::TempDir,
}

impl Daemon {
    /// A daemon with the shared drivers and no configuration.
    pub fn start() -> Daemon {
        DaemonBuilder::default().start()
    }

    /// A daemon on the built-in defaults whose storage slot (the `local`
    /// driver) has a container called `default`, as the storage tests expect.
    pub fn with_default_container() -> Daemon {
        let d = Daemon::start();
        d.ok(
            "storage",
            "create_container",
            serde_json::json!({"name": "default"}),
        );
        d
    }

    /// A builder for a daemon with its own environment, files or drivers.
    pub fn builder() -> DaemonBuilder {
        DaemonBuilder::default()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The daemon's own data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.workdir().join(".paddock")
    }

    /// Its working directory (where `paddock.toml`, `.env`… were written).
    pub fn workdir(&self) -> &Path {
        self.workdir.path()
    }

    /// Its plugins folder.
    pub fn plugins_dir(&self) -> &Path {
        &self.plugins
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("polling the daemon").is_none()
    }

    /// Its process id (to send it signals: `kill -HUP` reloads the drivers).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A request to `path`, to add headers or a body to before [`Daemon::send`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Sends a request and reads the answer.
    pub fn send(&self, request: RequestBuilder) -> Reply {
        Reply::read(request.send().expect("the daemon answers"))
    }

    /// `POST path` with `body` as a raw `application/octet-stream` body (the
    /// streamed form of `storage put`; arguments go in the query string).
    pub fn post_raw(&self, path: &str, body: impl Into<reqwest::blocking::Body>) -> Reply {
        self.send(
            self.request(Method::POST, path)
                .header("content-type", "application/octet-stream")
                .body(body.into()),
        )
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path))
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path).json(body))
    }

    /// `POST /tools/domains/{slot}/{verb}` with JSON arguments.
    pub fn call(&self, slot: &str, verb: &str, args: Value) -> Reply {
        self.post_json(&format!("/tools/domains/{slot}/{verb}"), &args)
    }

    /// A call that must succeed (200); returns its JSON result.
    #[track_caller]
    pub fn ok(&self, slot: &str, verb: &str, args: Value) -> Value {
        let reply = self.call(slot, verb, args.clone());
        assert_eq!(reply.status, 200, "{slot}.{verb}({args}) failed: {reply:?}");
        reply.json()
    }

    /// A call that must fail with `status` and error `kind`; returns the
    /// error object (whose `slot` and `verb` are checked too).
    #[track_caller]
    pub fn fail(&self, slot: &str, verb: &str, args: Value, status: u16, kind: &str) -> Value {
        let reply = self.call(slot, verb, args);
        let error = assert_error(&reply, status, kind);
        assert_eq!(error["slot"], slot, "{reply:?}");
        assert_eq!(error["verb"], verb, "{reply:?}");
        error
    }

    /// `GET /v1/slots`, the entry of `slot`.
    #[track_caller]
    pub fn slot_view(&self, slot: &str) -> Value {
        let slots = self.get("/v1/slots").expect_status(200).json();
        slots["slots"]
            .as_array()
            .expect("slots is a list")
            .iter()
            .find(|s| s["slot"] == slot)
            .unwrap_or_else(|| panic!("no slot {slot} in {slots}"))
            .clone()
    }

    /// `storage.get` of the `storage` slot, answered with the object's bytes.
    pub fn get_object(&self, args: &Value) -> Reply {
        self.send(
            self.request(Method::POST, "/tools/domains/storage/get")
                .json(args),
        )
    }

    /// `storage.get` of the `storage` slot, answered as JSON.
    pub fn get_object_json(&self, args: &Value) -> Reply {
        self.send(
            self.request(Method::POST, "/tools/domains/storage/get")
                .header("accept", "application/json")
                .json(args),
        )
    }

    /// Runs `paddock ARGS` in this daemon's working directory, with the
    /// shared data folder and this daemon's plugins folder, in a clean environment.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        let plugins = self.plugins.display().to_string();
        cli(self.workdir(), args, &[("PADDOCK_PLUGINS", &plugins)])
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let stderr = self.stderr();
            let lines: Vec<&str> = stderr.lines().collect();
            let tail = &lines[lines.len().saturating_sub(150)..];
            eprintln!(
                "--- stderr of the daemon on port {} (last {} lines) ---\n{}\n--- end of stderr ---",
                self.port,
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

/// What a CLI run printed, and its exit code.
pub struct CliOutput {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Debug for CliOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `paddock ARGS` in `workdir` with a clean environment plus `env`.
/// `--data` points at the shared cache unless the args name one.
pub fn cli(workdir: &Path, args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut cmd = Command::new(paddock_bin());
    cmd.args(args).current_dir(workdir).stdin(Stdio::null());
    clean_env(&mut cmd);
    cmd.env("PADDOCK_DATA", shared_data_dir());
    cmd.env("PADDOCK_CACHE", shared_cache_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running paddock");
    CliOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
