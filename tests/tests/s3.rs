//! The `s3` driver through the real daemon against a real S3-compatible
//! server: `s3s-fs`, which stores objects in a folder and verifies every
//! SigV4 signature the host makes. Each test starts its own server on a free
//! loopback port, with a fresh folder and fresh keys, and a daemon whose
//! `storage` slot uses the `s3` driver against it.
//!
//! `cargo xtask test` installs `s3s-fs` into `target/tools` and names it in
//! `PADDOCK_TEST_S3S_FS`; without that variable (a plain `cargo test`) these
//! tests say so and pass without running.

use base64::Engine as _;
use paddock_integration::{
    Daemon, Method, Reply, assert_contains, assert_error, clean_env, free_port, json, message,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

const MIB: u64 = 1 << 20;

/// The `s3s-fs` binary, or `None` (with a message saying why the test is
/// skipped) when `PADDOCK_TEST_S3S_FS` is not set.
fn s3s_fs_bin() -> Option<PathBuf> {
    match std::env::var_os("PADDOCK_TEST_S3S_FS") {
        Some(v) if !v.is_empty() => {
            let bin = PathBuf::from(v);
            assert!(
                bin.is_file(),
                "PADDOCK_TEST_S3S_FS names {}, which is not a file: run `cargo xtask test`",
                bin.display()
            );
            Some(bin)
        }
        _ => {
            eprintln!(
                "SKIPPED: the s3 driver's tests need the S3 server s3s-fs; `cargo xtask test` \
                 installs it and sets PADDOCK_TEST_S3S_FS (or install it with \
                 `cargo install --locked s3s-fs@0.14.1 --features binary` and set \
                 PADDOCK_TEST_S3S_FS to its path)"
            );
            None
        }
    }
}

/// Hex of a hash of the time, the process and a counter: keys no one guesses.
fn random_bytes() -> [u8; 32] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{:?} {} {}",
        SystemTime::now(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    Sha256::digest(seed.as_bytes()).into()
}

/// An access key id like AWS's: 20 upper-case letters and digits.
fn random_access_key() -> String {
    format!("AKIA{}", hex::encode_upper(random_bytes()))[..20].to_string()
}

/// A secret key like AWS's: 40 characters of base64 (with `+` and `/`
/// whenever the bytes make them).
fn random_secret_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes())[..40].to_string()
}

/// A running `s3s-fs` on loopback with its own folder and keys; killed when dropped.
struct S3Server {
    child: Child,
    port: u16,
    root: tempfile::TempDir,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
    access_key: String,
    secret_key: String,
}

impl S3Server {
    /// Starts a server and waits until it accepts connections; `None` when
    /// the tests are skipped (see [`s3s_fs_bin`]).
    fn start() -> Option<S3Server> {
        let bin = s3s_fs_bin()?;
        let root = tempfile::Builder::new()
            .prefix("paddock-s3-")
            .tempdir()
            .unwrap();
        let log_dir = tempfile::Builder::new()
            .prefix("paddock-s3-log-")
            .tempdir()
            .unwrap();
        let log = log_dir.path().join("s3s-fs.log");
        let (access_key, secret_key) = (random_access_key(), random_secret_key());
        let mut failure = String::new();
        // The port is free when asked; another process may take it first.
        for _attempt in 0..3 {
            let port = free_port();
            let out = std::fs::File::create(&log).unwrap();
            let mut cmd = Command::new(&bin);
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", &access_key, "--secret-key", &secret_key])
                .arg(root.path())
                .stdin(Stdio::null())
                .stdout(Stdio::from(out.try_clone().unwrap()))
                .stderr(Stdio::from(out));
            clean_env(&mut cmd);
            let mut child = cmd.spawn().expect("starting s3s-fs");
            match wait_listening(&mut child, port) {
                Ok(()) => {
                    return Some(S3Server {
                        child,
                        port,
                        root,
                        log,
                        _log_dir: log_dir,
                        access_key,
                        secret_key,
                    });
                }
                Err(reason) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    failure = format!(
                        "{reason}\n--- its output ---\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            }
        }
        panic!("s3s-fs did not start: {failure}");
    }

    /// `http://127.0.0.1:PORT`.
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The folder it stores buckets in (one folder per bucket).
    fn root(&self) -> &Path {
        self.root.path()
    }

    /// A daemon whose `storage` slot is the `s3` driver against this server,
    /// with these extra settings lines and credentials.
    fn daemon_with(&self, settings: &str, access_key: &str, secret_key: &str) -> Daemon {
        let endpoint = self.endpoint();
        let toml = format!(
            "[slots.storage]\ndriver = \"s3\"\n\
             [slots.storage.settings]\nendpoint = \"{endpoint}\"\n{settings}\n\
             [slots.storage.grants]\nhttp = [\"{endpoint}\"]\n\
             secrets = [\"AWS_ACCESS_KEY_ID\", \"AWS_SECRET_ACCESS_KEY\"]\n"
        );
        Daemon::builder()
            .env("AWS_ACCESS_KEY_ID", access_key)
            .env("AWS_SECRET_ACCESS_KEY", secret_key)
            .file("paddock.toml", toml)
            .start()
    }

    /// A daemon with the server's own credentials.
    fn daemon(&self, settings: &str) -> Daemon {
        self.daemon_with(settings, &self.access_key, &self.secret_key)
    }
}

fn wait_listening(child: &mut Child, port: u16) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("polling s3s-fs") {
            return Err(format!("it exited with {status}"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!(
                "port {port} did not accept connections within 20 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            eprintln!(
                "--- output of s3s-fs on port {} (last {} lines) ---\n{}\n--- end ---",
                self.port,
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

fn names(containers: &Value) -> Vec<String> {
    containers
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {containers}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn keys(page: &Value) -> Vec<String> {
    page["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("no objects in {page}"))
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect()
}

fn prefixes(page: &Value) -> Vec<String> {
    page["prefixes"]
        .as_array()
        .unwrap_or_else(|| panic!("no prefixes in {page}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn container_lifecycle() {
    let Some(s3) = S3Server::start() else { return };
    let d = s3.daemon("");

    let h = d.ok("storage", "health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    assert_eq!(h["details"]["endpoint"], s3.endpoint(), "{h}");
    assert_eq!(h["details"]["addressing"], "path", "{h}");
    assert_eq!(d.ok("storage", "list_containers", json!({})), json!([]));

    assert_eq!(
        d.ok("storage", "create_container", json!({"name": "alpha"})),
        Value::Null
    );
    assert!(s3.root().join("alpha").is_dir(), "the bucket is a folder");
    let e = d.fail(
        "storage",
        "create_container",
        json!({"name": "alpha"}),
        409,
        "already-exists",
    );
    assert_contains(message(&e), &["alpha", "already exists"]);
    d.ok("storage", "create-container", json!({"name": "beta"}));
    let listed = d.ok("storage", "list-containers", json!({}));
    assert_eq!(names(&listed), ["alpha", "beta"]);
    assert!(
        listed[0]["created_ms"].as_u64().unwrap() > 1_600_000_000_000,
        "{listed}"
    );
    let e = d.fail(
        "storage",
        "create_container",
        json!({"name": "Bad/Name"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["Bad/Name"]);

    // A bucket holding an object is not deleted.
    d.ok(
        "storage",
        "put",
        json!({"container": "alpha", "key": "keep/me.txt", "body": "precious"}),
    );
    let e = d.fail(
        "storage",
        "delete_container",
        json!({"name": "alpha"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["alpha", "still holds objects"]);
    let kept = d.get_object(&json!({"container": "alpha", "key": "keep/me.txt"}));
    assert_eq!(kept.expect_status(200).body, b"precious");

    d.ok(
        "storage",
        "delete",
        json!({"container": "alpha", "key": "keep/me.txt"}),
    );
    assert_eq!(
        d.ok("storage", "delete_container", json!({"name": "alpha"})),
        Value::Null
    );
    assert!(!s3.root().join("alpha").exists());
    let e = d.fail(
        "storage",
        "delete_container",
        json!({"name": "alpha"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["alpha"]);
    assert_eq!(
        names(&d.ok("storage", "list_containers", json!({}))),
        ["beta"]
    );
}

#[test]
fn put_head_get_round_trip_and_not_found() {
    let Some(s3) = S3Server::start() else { return };
    let d = s3.daemon("");
    d.ok("storage", "create_container", json!({"name": "docs"}));

    let meta = d.ok(
        "storage",
        "put",
        json!({
            "container": "docs",
            "key": "notes/hello world.txt",
            "body": "hello, s3",
            "content_type": "text/plain; charset=utf-8",
            "metadata": {"owner": "ann", "team": "ops"},
        }),
    );
    assert_eq!(meta["key"], "notes/hello world.txt");
    assert_eq!(meta["size"], 9);
    assert_eq!(meta["content_type"], "text/plain; charset=utf-8");
    assert_eq!(meta["metadata"], json!({"owner": "ann", "team": "ops"}));
    let etag = meta["etag"].as_str().unwrap().to_string();
    // S3's ETag of a single PutObject is the MD5 of the body: 32 hex digits.
    assert_eq!(etag.len(), 32, "{meta}");
    assert!(etag.bytes().all(|b| b.is_ascii_hexdigit()), "{meta}");
    assert!(meta["modified_ms"].as_u64().unwrap() > 1_600_000_000_000);
    // The server has the bytes where s3s-fs keeps them.
    assert_eq!(
        std::fs::read(s3.root().join("docs/notes/hello world.txt")).unwrap(),
        b"hello, s3"
    );

    let head = d.ok(
        "storage",
        "head",
        json!({"container": "docs", "key": "notes/hello world.txt"}),
    );
    assert_eq!(head["size"], 9, "{head}");
    assert_eq!(head["etag"], etag.as_str(), "{head}");
    assert_eq!(head["content_type"], "text/plain; charset=utf-8", "{head}");
    assert_eq!(head["metadata"], json!({"owner": "ann", "team": "ops"}));
    let modified = head["modified_ms"].as_u64().unwrap();
    assert!(
        modified.abs_diff(meta["modified_ms"].as_u64().unwrap()) < 5_000,
        "{head} vs {meta}"
    );

    let raw = d
        .get_object(&json!({"container": "docs", "key": "notes/hello world.txt"}))
        .expect_status(200);
    assert_eq!(raw.body, b"hello, s3");
    assert_eq!(
        raw.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(raw.header("content-length").as_deref(), Some("9"));
    assert_eq!(raw.header("etag"), Some(format!("\"{etag}\"")));
    let header_meta: Value =
        serde_json::from_str(&raw.header("x-paddock-meta").expect("x-paddock-meta")).unwrap();
    assert_eq!(
        header_meta["metadata"],
        json!({"owner": "ann", "team": "ops"})
    );

    let j = d
        .get_object_json(&json!({"container": "docs", "key": "notes/hello world.txt"}))
        .expect_status(200)
        .json();
    assert_eq!(j["body"], "hello, s3");
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(0), Some(9))
    );

    // A raw put: the type from the header, metadata from the query string.
    let csv = b"id,name\n1,ann\n2,bob\n".to_vec();
    let put = d
        .send(
            d.request(
                Method::POST,
                "/tools/domains/storage/put?container=docs&key=people.csv&meta.source=crm",
            )
            .header("content-type", "text/csv")
            .body(csv.clone()),
        )
        .expect_status(200)
        .json();
    assert_eq!(put["size"], csv.len());
    assert_eq!(put["content_type"], "text/csv");
    let got = d
        .get_object(&json!({"container": "docs", "key": "people.csv"}))
        .expect_status(200);
    assert_eq!(got.body, csv);
    assert_eq!(got.header("content-type").as_deref(), Some("text/csv"));
    let head = d.ok(
        "storage",
        "head",
        json!({"container": "docs", "key": "people.csv"}),
    );
    assert_eq!(head["metadata"], json!({"source": "crm"}));

    // Replacing an object replaces its bytes, type and metadata.
    d.ok(
        "storage",
        "put",
        json!({"container": "docs", "key": "people.csv", "body": "x"}),
    );
    let head = d.ok(
        "storage",
        "head",
        json!({"container": "docs", "key": "people.csv"}),
    );
    assert_eq!(head["size"], 1, "{head}");
    assert_eq!(head["metadata"], json!({}), "{head}");
    assert_ne!(head["content_type"], "text/csv", "{head}");

    // Missing keys and buckets are not-found (404), on every verb that reads.
    let missing = json!({"container": "docs", "key": "no/such.txt"});
    let e = assert_error(&d.get_object(&missing.clone()), 404, "not-found");
    assert_eq!(e["verb"], "get");
    assert_contains(message(&e), &["no/such.txt", "does not exist"]);
    assert_error(&d.get_object_json(&missing.clone()), 404, "not-found");
    let e = d.fail("storage", "head", missing.clone(), 404, "not-found");
    assert_contains(message(&e), &["no/such.txt"]);
    // Deleting a missing key succeeds, as in S3; the object is gone after a delete.
    d.ok("storage", "delete", missing);
    d.ok(
        "storage",
        "delete",
        json!({"container": "docs", "key": "people.csv"}),
    );
    d.fail(
        "storage",
        "head",
        json!({"container": "docs", "key": "people.csv"}),
        404,
        "not-found",
    );

    let nowhere = json!({"container": "nowhere", "key": "k"});
    let e = assert_error(&d.get_object(&nowhere.clone()), 404, "not-found");
    assert_contains(message(&e), &["nowhere"]);
    d.fail("storage", "head", nowhere.clone(), 404, "not-found");
    d.fail("storage", "delete", nowhere, 404, "not-found");
    // (No `put` here: s3s-fs, unlike S3, makes the bucket's folder for an
    // object put into a missing bucket; the driver does not spend a
    // `HeadBucket` on every put to make up for it.)
    let e = d.fail(
        "storage",
        "list",
        json!({"container": "nowhere"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["nowhere"]);
    assert!(!s3.root().join("nowhere").exists());

    // A key the driver refuses never reaches the server.
    let e = d.fail(
        "storage",
        "put",
        json!({"container": "docs", "key": "", "body": "x"}),
        400,
        "invalid-input",
    );
    assert!(!message(&e).is_empty());
}

#[test]
fn range_reads() {
    let Some(s3) = S3Server::start() else { return };
    let d = s3.daemon("");
    d.ok("storage", "create_container", json!({"name": "ranges"}));
    d.ok(
        "storage",
        "put",
        json!({"container": "ranges", "key": "digits", "body": "0123456789"}),
    );
    let at = |range: Value| json!({"container": "ranges", "key": "digits", "range": range});

    // The middle.
    let r = d
        .get_object(&at(json!({"offset": 2, "length": 3})))
        .expect_status(206);
    assert_eq!(r.body, b"234");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 2-4/10"));
    assert_eq!(r.header("content-length").as_deref(), Some("3"));
    let j = d
        .get_object_json(&at(json!({"offset": 2, "length": 3})))
        .expect_status(200)
        .json();
    assert_eq!(j["body"], "234");
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(j["meta"]["size"], 10);

    // To the end, in the body and in the query string.
    let r = d.get_object(&at(json!({"offset": 7}))).expect_status(206);
    assert_eq!(r.body, b"789");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 7-9/10"));
    let r = d
        .send(d.request(
            Method::POST,
            "/tools/domains/storage/get?container=ranges&key=digits&offset=4&length=2",
        ))
        .expect_status(206);
    assert_eq!(r.body, b"45");

    // A length running past the end is cut at the end.
    let r = d
        .get_object(&at(json!({"offset": 8, "length": 100})))
        .expect_status(206);
    assert_eq!(r.body, b"89");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 8-9/10"));

    // The last byte, the first byte, and the whole object asked as a range.
    let r = d
        .get_object(&at(json!({"offset": 9, "length": 1})))
        .expect_status(206);
    assert_eq!(r.body, b"9");
    let r = d
        .get_object(&at(json!({"offset": 0, "length": 1})))
        .expect_status(206);
    assert_eq!(r.body, b"0");
    let r = d.get_object(&at(json!({"offset": 0}))).expect_status(200);
    assert_eq!(r.body, b"0123456789");
    assert!(r.header("content-range").is_none());

    // At the end and zero-length ranges serve no bytes.
    let j = d
        .get_object_json(&at(json!({"offset": 10})))
        .expect_status(200)
        .json();
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(10), Some(0))
    );
    assert_eq!(j["body"], "");
    let j = d
        .get_object_json(&at(json!({"offset": 3, "length": 0})))
        .expect_status(200)
        .json();
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(3), Some(0))
    );

    // Past the end: invalid input, naming the size.
    for range in [json!({"offset": 11}), json!({"offset": 50, "length": 2})] {
        let e = assert_error(&d.get_object(&at(range)), 400, "invalid-input");
        assert_contains(message(&e), &["past the end", "10 bytes"]);
    }
    // A range of a missing key is not-found, not a range error.
    assert_error(
        &d.get_object(
            &json!({"container": "ranges", "key": "nope", "range": {"offset": 1, "length": 1}}),
        ),
        404,
        "not-found",
    );
}

#[test]
fn a_wrong_secret_key_is_access_denied_and_never_shown() {
    let Some(s3) = S3Server::start() else { return };
    let good = s3.daemon("");
    good.ok("storage", "create_container", json!({"name": "vault"}));
    good.ok(
        "storage",
        "put",
        json!({"container": "vault", "key": "k", "body": "v"}),
    );

    let wrong_secret = random_secret_key();
    assert_ne!(wrong_secret, s3.secret_key);
    // Debug logs: the most the daemon ever writes, none of it may hold the secret.
    let d = {
        let endpoint = s3.endpoint();
        let toml = format!(
            "[slots.storage]\ndriver = \"s3\"\n\
             [slots.storage.settings]\nendpoint = \"{endpoint}\"\n\
             [slots.storage.grants]\nhttp = [\"{endpoint}\"]\n\
             secrets = [\"AWS_ACCESS_KEY_ID\", \"AWS_SECRET_ACCESS_KEY\"]\n"
        );
        Daemon::builder()
            .env("AWS_ACCESS_KEY_ID", &s3.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &wrong_secret)
            .env("PADDOCK_LOG", "debug")
            .file("paddock.toml", toml)
            .start()
    };
    let mut answers: Vec<String> = Vec::new();
    let mut denied = |reply: Reply, verb: &str| {
        let e = assert_error(&reply, 403, "access-denied");
        assert_eq!(e["verb"], verb, "{reply:?}");
        assert_contains(message(&e), &["refused access", "AWS_SECRET_ACCESS_KEY"]);
        answers.push(reply.text());
    };
    denied(
        d.call("storage", "list_containers", json!({})),
        "list_containers",
    );
    denied(
        d.call("storage", "create_container", json!({"name": "intruder"})),
        "create_container",
    );
    let object = json!({"container": "vault", "key": "k"});
    denied(d.call("storage", "head", object.clone()), "head");
    denied(d.get_object(&object.clone()), "get");
    denied(d.call("storage", "delete", object.clone()), "delete");
    denied(
        d.call(
            "storage",
            "put",
            json!({"container": "vault", "key": "k", "body": "overwritten"}),
        ),
        "put",
    );
    denied(
        d.post_raw(
            "/tools/domains/storage/put?container=vault&key=raw",
            b"raw bytes".to_vec(),
        ),
        "put",
    );
    denied(
        d.call("storage", "list", json!({"container": "vault"})),
        "list",
    );
    denied(
        d.call("storage", "delete_container", json!({"name": "vault"})),
        "delete_container",
    );

    let health = d.ok("storage", "health", json!({}));
    assert_eq!(health["healthy"], false, "{health}");
    assert!(
        health["message"]
            .as_str()
            .unwrap()
            .starts_with("access-denied"),
        "{health}"
    );
    answers.push(health.to_string());
    answers.push(d.get("/health/storage").text());
    answers.push(d.get("/v1/slots").text());
    answers.push(d.get("/metrics").text());

    // A wrong access key id is refused too.
    let stranger = s3.daemon_with("", &random_access_key(), &s3.secret_key);
    let e = stranger.fail(
        "storage",
        "list_containers",
        json!({}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &["AWS_ACCESS_KEY_ID"]);

    // Nothing changed on the server; the right key still works.
    assert_eq!(
        names(&good.ok("storage", "list_containers", json!({}))),
        ["vault"]
    );
    let v = good.get_object(&object).expect_status(200);
    assert_eq!(v.body, b"v");
    assert!(!s3.root().join("vault/raw").exists());

    let log = d.stderr();
    assert!(
        log.lines().count() > 3,
        "the daemon logged at debug level:\n{log}"
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let forms = [
        wrong_secret.clone(),
        b64.encode(&wrong_secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&wrong_secret),
        wrong_secret.replace('+', "%2B").replace('/', "%2F"),
        s3.secret_key.clone(),
    ];
    for form in &forms {
        assert!(!log.contains(form.as_str()), "the log leaks {form}:\n{log}");
        for a in &answers {
            assert!(!a.contains(form.as_str()), "an answer leaks {form}: {a}");
        }
    }
}

/// Deterministic bytes addressable by position (byte `i` is a function of
/// `i`), produced as they are read: a body of any size without holding it.
struct Pattern {
    pos: u64,
    end: u64,
}

impl Pattern {
    fn new(len: u64) -> Pattern {
        Pattern { pos: 0, end: len }
    }

    fn byte_at(i: u64) -> u8 {
        // splitmix64 of the 8-byte block, then the byte within it.
        let mut z = (i / 8).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z.to_le_bytes()[(i % 8) as usize]
    }

    fn slice(from: u64, len: u64) -> Vec<u8> {
        (from..from + len).map(Pattern::byte_at).collect()
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.end - self.pos) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = Pattern::byte_at(self.pos + i as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads `r` to its end: the number of bytes and their SHA-256 in hex.
fn count_and_hash(mut r: impl Read) -> (u64, String) {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).expect("reading the stream");
        if n == 0 {
            return (total, hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

/// A streamed `get`: the status, headers, and the size and SHA-256 of the
/// body read as it arrives.
fn streamed_get(d: &Daemon, args: Value) -> (u16, reqwest::header::HeaderMap, u64, String) {
    let response = d
        .request(Method::POST, "/tools/domains/storage/get")
        .json(&args)
        .send()
        .expect("the daemon answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let (size, sha) = count_and_hash(response);
    (status, headers, size, sha)
}

/// Files s3s-fs keeps for unfinished multipart uploads.
fn upload_leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".upload"))
        .collect()
}

/// The daemon's peak resident memory so far (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn streamed_multipart_upload_of_64_mib_and_streamed_get() {
    let Some(s3) = S3Server::start() else { return };
    // Parts of 8 MiB from 5 MiB on: 64 MiB and a bit go up in 9 parts.
    let d = s3.daemon("multipart_threshold_mb = \"5\"\npart_size_mb = \"8\"");
    d.ok("storage", "create_container", json!({"name": "big"}));
    let rss_before = peak_rss(d.pid());

    // Of unknown size (chunked): the driver finds out as it reads.
    let len = 64 * MIB + 12_345;
    let (_, want_sha) = count_and_hash(Pattern::new(len));
    let started = Instant::now();
    let put = d
        .post_raw(
            "/tools/domains/storage/put?container=big&key=blobs/64mib.bin&meta.kind=multipart",
            reqwest::blocking::Body::new(Pattern::new(len)),
        )
        .expect_status(200)
        .json();
    let put_took = started.elapsed();
    assert_eq!(put["size"], len, "{put}");
    assert_eq!(put["metadata"], json!({"kind": "multipart"}), "{put}");
    // A multipart ETag: hash of the parts' hashes, then the number of parts.
    let etag = put["etag"].as_str().unwrap().to_string();
    assert!(etag.ends_with("-9"), "not a 9-part upload: {put}");
    let stored = s3.root().join("big/blobs/64mib.bin");
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), len);
    assert_eq!(upload_leftovers(s3.root()), Vec::<String>::new());

    let head = d.ok(
        "storage",
        "head",
        json!({"container": "big", "key": "blobs/64mib.bin"}),
    );
    assert_eq!(
        (head["size"].as_u64(), head["etag"].as_str()),
        (Some(len), Some(etag.as_str()))
    );
    assert_eq!(head["content_type"], "application/octet-stream");

    let started = Instant::now();
    let (status, headers, size, sha) =
        streamed_get(&d, json!({"container": "big", "key": "blobs/64mib.bin"}));
    let get_took = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"].to_str().unwrap(), len.to_string());
    assert_eq!(size, len);
    assert_eq!(sha, want_sha, "the bytes differ");
    let rss_after = peak_rss(d.pid());
    eprintln!(
        "64 MiB through the s3 driver: put {put_took:?}, get {get_took:?}; \
         daemon peak RSS {:?} → {:?} MiB",
        rss_before.map(|b| b >> 20),
        rss_after.map(|b| b >> 20)
    );
    // Streamed both ways: the daemon holds parts, never the object. Not a
    // memory target (those are benchmarks, see BENCHMARKS.md): a bound that
    // only a daemon buffering the whole object would break.
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(
            after.saturating_sub(before) < 64 * MIB,
            "the daemon's peak RSS grew by {} MiB for a 64 MiB object",
            (after - before) >> 20
        );
    }

    // A range across the boundary of parts 1 and 2.
    let from = 8 * MIB - 10;
    let r = d.get_object(&json!({"container": "big", "key": "blobs/64mib.bin", "range": {"offset": from, "length": 20}}),
    )
    .expect_status(206);
    assert_eq!(r.body, Pattern::slice(from, 20));
    // The tail, streamed.
    let (status, _, size, sha) = streamed_get(
        &d,
        json!({"container": "big", "key": "blobs/64mib.bin", "range": {"offset": 60 * MIB}}),
    );
    assert_eq!(status, 206);
    assert_eq!(size, len - 60 * MIB);
    let (_, tail_sha) = count_and_hash(&Pattern::slice(60 * MIB, len - 60 * MIB)[..]);
    assert_eq!(sha, tail_sha);

    // Of declared size (content-length): 12 MiB and 7 bytes in 2 parts.
    let len2 = 12 * MIB + 7;
    let put = d
        .post_raw(
            "/tools/domains/storage/put?container=big&key=blobs/sized.bin",
            reqwest::blocking::Body::sized(Pattern::new(len2), len2),
        )
        .expect_status(200)
        .json();
    assert_eq!(put["size"], len2, "{put}");
    assert!(put["etag"].as_str().unwrap().ends_with("-2"), "{put}");
    let (status, _, size, sha) =
        streamed_get(&d, json!({"container": "big", "key": "blobs/sized.bin"}));
    assert_eq!((status, size), (200, len2));
    assert_eq!(sha, count_and_hash(Pattern::new(len2)).1);

    // Below the threshold: one PutObject, a plain MD5 ETag.
    let put = d
        .post_raw(
            "/tools/domains/storage/put?container=big&key=blobs/small.bin",
            reqwest::blocking::Body::new(Pattern::new(MIB)),
        )
        .expect_status(200)
        .json();
    assert_eq!(put["size"], MIB);
    assert!(!put["etag"].as_str().unwrap().contains('-'), "{put}");

    // A body that ends before its declared length, after one part went up:
    // the call fails, the upload is aborted (no part is left on the server)
    // and the object is not replaced.
    let sent = d
        .request(
            Method::POST,
            "/tools/domains/storage/put?container=big&key=blobs/64mib.bin",
        )
        .header("content-type", "application/octet-stream")
        .body(reqwest::blocking::Body::sized(
            Pattern::new(10 * MIB),
            20 * MIB,
        ))
        .send();
    if let Ok(r) = sent {
        assert!(r.status().as_u16() >= 400, "{r:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !d
        .get("/metrics")
        .text()
        .lines()
        .any(|l| l.starts_with("paddock_call_errors_total{") && l.contains("verb=\"put\""))
    {
        assert!(
            Instant::now() < deadline,
            "the failed put was not recorded:\n{}",
            d.get("/metrics").text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(upload_leftovers(s3.root()), Vec::<String>::new());
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), len);
}

#[test]
fn listing_more_than_1000_keys_across_pages() {
    let Some(s3) = S3Server::start() else { return };
    let d = s3.daemon("");
    d.ok("storage", "create_container", json!({"name": "many"}));

    let page_keys: Vec<String> = (0..1100).map(|i| format!("page/k{i:04}")).collect();
    let tree_keys = [
        "top",
        "tree/a/1",
        "tree/a/2",
        "tree/b/1",
        "tree/c",
        "tree/d/e/f",
    ];
    // Eight writers, in scrambled order: the listing is lexical whatever the order of writes.
    let mut all: Vec<String> = page_keys.clone();
    all.extend(tree_keys.iter().map(|k| k.to_string()));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (d, all) = (&d, &all);
            scope.spawn(move || {
                for k in all.iter().rev().skip(t).step_by(8) {
                    d.ok(
                        "storage",
                        "put",
                        json!({"container": "many", "key": k, "body": k}),
                    );
                }
            });
        }
    });
    all.sort();

    // Pages of 300 under a prefix, following the cursor.
    let (mut seen, mut cursor, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let page = d.ok(
            "storage",
            "list",
            json!({"container": "many", "prefix": "page/", "limit": 300, "cursor": cursor}),
        );
        pages += 1;
        let here = keys(&page);
        assert!(here.len() <= 300, "a page of {}", here.len());
        if pages == 1 {
            assert_eq!(page["objects"][0]["size"], "page/k0000".len(), "{page}");
        }
        seen.extend(here);
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
        assert!(cursor.is_string(), "{page}");
        assert!(pages < 10, "the cursor does not advance: {cursor}");
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, page_keys, "every key once, in order");

    // Without a limit: S3's page of 1000, then the rest.
    let first = d.ok("storage", "list", json!({"container": "many"}));
    assert_eq!(keys(&first).len(), 1000);
    assert!(first["next_cursor"].is_string(), "{}", first["next_cursor"]);
    let second = d.ok(
        "storage",
        "list",
        json!({"container": "many", "cursor": first["next_cursor"]}),
    );
    assert_eq!(second["next_cursor"], Value::Null);
    let mut everything = keys(&first);
    everything.extend(keys(&second));
    assert_eq!(everything, all);
    let e = d.fail(
        "storage",
        "list",
        json!({"container": "many", "limit": 1001}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["limit"]);

    // Prefix and delimiter: folders roll up.
    let page = d.ok(
        "storage",
        "list",
        json!({"container": "many", "prefix": "tree/", "delimiter": "/"}),
    );
    assert_eq!(keys(&page), ["tree/c"]);
    assert_eq!(prefixes(&page), ["tree/a/", "tree/b/", "tree/d/"]);
    assert_eq!(page["next_cursor"], Value::Null);
    let page = d.ok(
        "storage",
        "list",
        json!({"container": "many", "delimiter": "/"}),
    );
    assert_eq!(keys(&page), ["top"]);
    assert_eq!(prefixes(&page), ["page/", "tree/"]);
    let page = d.ok(
        "storage",
        "list",
        json!({"container": "many", "prefix": "tree/a/"}),
    );
    assert_eq!(keys(&page), ["tree/a/1", "tree/a/2"]);
    assert!(prefixes(&page).is_empty());

    // One entry a page with a delimiter: a rolled-up prefix counts as one.
    let (mut entries, mut cursor) = (Vec::new(), Value::Null);
    for _ in 0..10 {
        let page = d.ok(
            "storage",
            "list",
            json!({"container": "many", "delimiter": "/", "limit": 1, "cursor": cursor}),
        );
        let mut here = keys(&page);
        here.extend(prefixes(&page));
        assert_eq!(here.len(), 1, "{page}");
        entries.extend(here);
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(entries, ["page/", "top", "tree/"]);
}

/// The conformance kit passes on the `s3` driver against the real server
/// (multipart for its large object: the threshold is below its size).
#[test]
fn the_conformance_kit_passes_against_the_real_server() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let endpoint = server.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("paddock.toml");
    std::fs::write(
        &config,
        format!(
            "[slots.storage.settings]\nendpoint = \"{endpoint}\"\nmultipart_threshold_mb = 8\npart_size_mb = 5\n\
             [slots.storage.grants]\nhttp = [\"{endpoint}\"]\n\
             secrets = [\"AWS_ACCESS_KEY_ID\", \"AWS_SECRET_ACCESS_KEY\"]\n"
        ),
    )
    .unwrap();
    let file = paddock_integration::wasm("s3_storage")
        .display()
        .to_string();
    let out = paddock_integration::cli(
        dir.path(),
        &[
            "test-driver",
            "storage",
            &file,
            "--config",
            config.to_str().unwrap(),
            "--large-mb",
            "24",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", &server.access_key),
            ("AWS_SECRET_ACCESS_KEY", &server.secret_key),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(" 0 failed"), "{out:?}");
    assert!(!out.stdout.contains(&server.secret_key));
}
