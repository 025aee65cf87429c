//! The sandbox against a hostile driver (`probe_db`, which asks for a
//! read-write folder and any TCP endpoint): folders, symlinks, environment and
//! TCP are reachable only as the slot grants, and the daemon stays healthy.

use paddock_integration::{Daemon, assert_error, message};
use serde_json::{Value, json};
use std::io::Write;

fn probe(d: &Daemon, command: &str) -> Result<String, Value> {
    let reply = d.call("db", "query", json!({"sql": command}));
    if reply.status == 200 {
        Ok(reply.json()["rows"][0][0]["text"]
            .as_str()
            .unwrap()
            .to_string())
    } else {
        Err(assert_error(&reply, 403, "access-denied"))
    }
}

fn probe_daemon(toml: &str, workdir_files: &[(&str, &str)]) -> Daemon {
    let mut b = Daemon::builder()
        .plugins(&["probe_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("DB_DRIVER", "probe_db")
        .env("SECRET_LOOKING_VAR", "do-not-leak");
    if !toml.is_empty() {
        b = b.file("paddock.toml", toml);
    }
    for (path, text) in workdir_files {
        b = b.file(path, text);
    }
    b.start()
}

#[test]
fn granted_folder_is_the_only_reachable_folder() {
    let d = probe_daemon(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nfolder = { path = \"slotdata\", access = \"read-write\" }\n",
        &[
            ("slotdata/hello.txt", "inside"),
            ("outside.txt", "secret outside"),
        ],
    );
    assert_eq!(probe(&d, "read /data/hello.txt").unwrap(), "inside");
    assert_eq!(
        probe(&d, "write /data/new.txt made-by-driver").unwrap(),
        "written"
    );
    let on_disk = std::fs::read_to_string(d.workdir().join("slotdata/new.txt")).unwrap();
    assert_eq!(on_disk, "made-by-driver");

    for escape in [
        "read /etc/passwd",
        "read /data/../outside.txt",
        "read /data/../../../../etc/passwd",
        "read ../outside.txt",
        "read outside.txt",
    ] {
        let e = probe(&d, escape).unwrap_err();
        assert!(!message(&e).contains("secret outside"), "{escape}: {e}");
    }

    // A symlink inside the folder pointing out of it does not lead out.
    std::os::unix::fs::symlink(
        d.workdir().join("outside.txt"),
        d.workdir().join("slotdata/link"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.workdir().join("slotdata/passwd")).unwrap();
    for escape in ["read /data/link", "read /data/passwd"] {
        let e = probe(&d, escape).unwrap_err();
        assert!(message(&e).contains("read /data/"), "{escape}: {e}");
    }
    assert_eq!(d.get("/health/db").status, 200);
}

#[test]
fn read_only_grant_wins_over_a_read_write_request() {
    let d = probe_daemon(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nfolder = { path = \"ro\", access = \"read-only\" }\n",
        &[("ro/a.txt", "a")],
    );
    assert_eq!(probe(&d, "read /data/a.txt").unwrap(), "a");
    probe(&d, "write /data/b.txt no").unwrap_err();
    probe(&d, "write /data/a.txt overwrite").unwrap_err();
    assert_eq!(
        std::fs::read_to_string(d.workdir().join("ro/a.txt")).unwrap(),
        "a"
    );
    assert!(!d.workdir().join("ro/b.txt").exists());
}

#[test]
fn without_a_grant_the_driver_gets_a_private_folder_of_its_slot() {
    let d = probe_daemon("", &[]);
    let marker = format!("private-{}", std::process::id());
    assert_eq!(
        probe(&d, &format!("write /data/{marker} x")).unwrap(),
        "written"
    );
    let slots = d.get("/v1/slots").json();
    assert!(slots.to_string().contains("probe_db"));
    let path = d.data_dir().join("slots/db").join(&marker);
    assert!(path.exists(), "{} should exist", path.display());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn no_environment_reaches_the_driver() {
    let d = probe_daemon("", &[]);
    assert_eq!(probe(&d, "env").unwrap(), "0 variables");
    assert!(!d.stderr().contains("do-not-leak"));
}

/// A one-shot TCP server on loopback that greets and closes.
fn greeter() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        for mut stream in server.incoming().flatten() {
            let _ = stream.write_all(b"hello from the granted port");
        }
    });
    (listener, port)
}

#[test]
fn tcp_reaches_only_granted_endpoints() {
    let (_granted, port) = greeter();
    let (_other, other_port) = greeter();
    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\ntcp = [\"127.0.0.1:{port}\"]\n"
    );
    let d = probe_daemon(&toml, &[]);
    assert_eq!(
        probe(&d, &format!("connect 127.0.0.1:{port}")).unwrap(),
        "hello from the granted port"
    );
    probe(&d, &format!("connect 127.0.0.1:{other_port}")).unwrap_err();
    assert!(
        d.stderr()
            .contains(&format!("127.0.0.1:{other_port} denied")),
        "{}",
        d.stderr()
    );
    assert_eq!(d.get("/health/db").status, 200);
}

#[test]
fn tcp_is_denied_without_a_grant_and_wildcards_never_open_loopback() {
    let (_l, port) = greeter();
    let d = probe_daemon("", &[]);
    probe(&d, &format!("connect 127.0.0.1:{port}")).unwrap_err();
    let toml =
        format!("[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\ntcp = [\"*:{port}\"]\n");
    let d = probe_daemon(&toml, &[]);
    probe(&d, &format!("connect 127.0.0.1:{port}")).unwrap_err();
    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\ntcp = [\"localhost:{port}\"]\n"
    );
    let d = probe_daemon(&toml, &[]);
    assert_eq!(
        probe(&d, &format!("connect 127.0.0.1:{port}")).unwrap(),
        "hello from the granted port"
    );
}

/// A tiny HTTP server on loopback: `/hello` answers 200, `/redirect?to=URL`
/// answers 302 to URL.
fn http_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = std::io::Read::read(&mut stream, &mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let reply = match path.strip_prefix("/redirect?to=") {
                Some(to) => format!(
                    "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                ),
                None => "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"
                    .to_string(),
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

#[test]
fn http_goes_only_to_granted_origins_and_every_redirect_hop_is_checked() {
    let port = http_server();
    let other = http_server();
    // Nothing granted: denied, and the caller is told which grant is missing.
    let d = probe_daemon("", &[]);
    let e = probe(&d, &format!("http http://127.0.0.1:{port}/hello")).unwrap_err();
    assert!(
        message(&e).contains(&format!(
            "grant it with [slots.db.grants] http = [\"http://127.0.0.1:{port}\"]"
        )),
        "{e}"
    );

    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nhttp = [\"http://127.0.0.1:{port}\"]\n"
    );
    let d = probe_daemon(&toml, &[]);
    assert_eq!(
        probe(&d, &format!("http http://127.0.0.1:{port}/hello")).unwrap(),
        "200 hello"
    );
    probe(&d, &format!("http http://127.0.0.1:{other}/hello")).unwrap_err();
    // A granted origin redirecting to one that is not: the second hop is refused.
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/redirect?to=http://127.0.0.1:{other}/hello"),
    )
    .unwrap_err();
    assert!(
        message(&e).contains(&format!("127.0.0.1:{other} denied")),
        "{e}"
    );
    // A redirect within the grant is followed.
    let hop = format!("http://127.0.0.1:{port}/hello");
    assert_eq!(
        probe(
            &d,
            &format!("http http://127.0.0.1:{port}/redirect?to={hop}")
        )
        .unwrap(),
        "200 hello"
    );
    assert_eq!(d.get("/health/db").status, 200);
}

#[test]
fn a_granted_name_never_reaches_loopback_through_a_wildcard() {
    let port = http_server();
    // `*` grants any host by name, but loopback needs the address itself (or
    // `localhost`) granted: the wildcard does not open it.
    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nhttp = [\"http://*:{port}\"]\n"
    );
    let d = probe_daemon(&toml, &[]);
    probe(&d, &format!("http http://127.0.0.1:{port}/hello")).unwrap_err();
    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nhttp = [\"http://localhost:{port}\"]\n"
    );
    let d = probe_daemon(&toml, &[]);
    assert_eq!(
        probe(&d, &format!("http http://localhost:{port}/hello")).unwrap(),
        "200 hello"
    );
}

/// An HTTP server on loopback that records the `authorization` header of each
/// request out of band (never echoing it back to the driver).
fn recording_server() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = std::io::Read::read(&mut stream, &mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let auth = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("authorization:")
                        .then(|| l[14..].trim().to_string())
                })
                .unwrap_or_default();
            let _ = tx.send(auth);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, rx)
}

const SECRET: &str = "s3cr3t-value-never-in-guest-memory";

#[test]
fn secrets_are_substituted_only_in_headers_to_granted_origins_and_never_leak() {
    use base64::Engine as _;
    let (port, received) = recording_server();
    let (other, other_received) = recording_server();
    let toml = format!(
        "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nhttp = [\"http://127.0.0.1:{port}\"]\nsecrets = [\"PROBE_TOKEN\"]\n"
    );
    let d = Daemon::builder()
        .plugins(&["probe_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("DB_DRIVER", "probe_db")
        .env("PROBE_TOKEN", SECRET)
        .env("OTHER_TOKEN", "other-secret-not-granted")
        .file("paddock.toml", &toml)
        .start();
    let mut answers = Vec::new();

    // The granted host gets the value; the driver only ever held the placeholder.
    let ok = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/x Bearer {{{{secret:PROBE_TOKEN}}}}"),
    )
    .unwrap();
    assert_eq!(ok, "200 ok");
    assert_eq!(received.recv().unwrap(), format!("Bearer {SECRET}"));
    answers.push(ok);

    // A secret the slot does not grant.
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/x {{{{secret:OTHER_TOKEN}}}}"),
    )
    .unwrap_err();
    assert!(
        message(&e).contains("secrets = [\\\"OTHER_TOKEN\\\"]")
            || message(&e).contains("secrets = [\"OTHER_TOKEN\"]"),
        "{e}"
    );
    answers.push(e.to_string());
    // The placeholder in the URL of a granted host: refused, not substituted.
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/x?t={{{{secret:PROBE_TOKEN}}}}"),
    )
    .unwrap_err();
    assert!(message(&e).contains("never in a URL"), "{e}");
    answers.push(e.to_string());
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/x?t=%7B%7Bsecret%3APROBE_TOKEN%7D%7D"),
    )
    .unwrap_err();
    answers.push(e.to_string());
    // The placeholder sent to a host that is not granted: refused before substitution.
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{other}/x Bearer {{{{secret:PROBE_TOKEN}}}}"),
    )
    .unwrap_err();
    assert!(
        other_received.try_recv().is_err(),
        "the other host must not be contacted"
    );
    answers.push(e.to_string());
    assert_eq!(d.get("/health/db").status, 200);
    answers.push(d.get("/v1/slots").text());
    answers.push(d.get("/metrics").text());

    let encodings = [
        SECRET.to_string(),
        base64::engine::general_purpose::STANDARD.encode(SECRET),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(SECRET),
    ];
    let log = d.stderr();
    for form in &encodings {
        assert!(!log.contains(form.as_str()), "log leaks {form}");
        for a in &answers {
            assert!(!a.contains(form.as_str()), "answer leaks {form}: {a}");
        }
    }
    assert!(
        received.try_recv().is_err(),
        "only one request reached the granted host"
    );
}

#[test]
fn reveal_signing_and_secret_hosts_each_need_their_own_grant() {
    let (port, received) = recording_server();
    let (other, other_received) = recording_server();
    let start = |extra: &str| {
        let toml = format!(
            "[slots.db]\ndriver = \"probe_db\"\n[slots.db.grants]\nhttp = [\"http://127.0.0.1:{port}\", \"http://127.0.0.1:{other}\"]\nsecrets = [\"PROBE_TOKEN\"]\n{extra}"
        );
        Daemon::builder()
            .plugins(&["probe_db", "fake_storage", "local_storage", "fake_deploy"])
            .env("DB_DRIVER", "probe_db")
            .env("PROBE_TOKEN", SECRET)
            .env("OTHER_TOKEN", "other-secret-not-granted")
            .file("paddock.toml", &toml)
            .start()
    };
    let d = start("");
    let mut answers = Vec::new();

    // reveal: granted as a secret is not enough.
    let e = probe(&d, "reveal PROBE_TOKEN").unwrap_err();
    assert!(message(&e).contains("reveal = [\"PROBE_TOKEN\"]"), "{e}");
    answers.push(e.to_string());
    let e = probe(&d, "reveal OTHER_TOKEN").unwrap_err();
    assert!(message(&e).contains("not lent"), "{e}");
    answers.push(e.to_string());

    // SigV4 with a credential whose secret key is not granted: refused
    // before anything is sent.
    let url = format!("http://127.0.0.1:{port}/bucket/key");
    let e = probe(&d, &format!("sign {url} PROBE_TOKEN OTHER_TOKEN")).unwrap_err();
    assert!(
        message(&e).contains("signing denied") && message(&e).contains("OTHER_TOKEN"),
        "{e}"
    );
    assert!(received.try_recv().is_err(), "nothing may be sent unsigned");
    answers.push(e.to_string());
    // With granted secrets the host signs; the guest never saw the key.
    let ok = probe(&d, &format!("sign {url} PROBE_TOKEN PROBE_TOKEN")).unwrap();
    assert_eq!(ok, "200 ok");
    let auth = received.recv().unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential="), "{auth}");
    assert!(auth.contains("/us-east-1/s3/aws4_request"), "{auth}");
    answers.push(ok);
    assert_eq!(d.get("/health/db").status, 200);
    let log = d.stderr();
    drop(d);

    // secret_hosts narrows where a secret goes; reveal hands it over when granted.
    let d = start(&format!(
        "reveal = [\"PROBE_TOKEN\"]\nsecret_hosts = {{ PROBE_TOKEN = [\"http://127.0.0.1:{other}\"] }}\n"
    ));
    let e = probe(
        &d,
        &format!("http http://127.0.0.1:{port}/x Bearer {{{{secret:PROBE_TOKEN}}}}"),
    )
    .unwrap_err();
    assert!(message(&e).contains("secret_hosts"), "{e}");
    assert!(received.try_recv().is_err());
    answers.push(e.to_string());
    let ok = probe(
        &d,
        &format!("http http://127.0.0.1:{other}/x Bearer {{{{secret:PROBE_TOKEN}}}}"),
    )
    .unwrap();
    assert_eq!(ok, "200 ok");
    assert_eq!(other_received.recv().unwrap(), format!("Bearer {SECRET}"));
    // Revealed by the operator's choice: the driver gets the value (the
    // daemon still keeps it out of its logs).
    let revealed = d.call("db", "query", json!({"sql": "reveal PROBE_TOKEN"}));
    assert_eq!(revealed.status, 200, "{}", revealed.text());
    assert!(revealed.text().contains(SECRET));
    let log = log + &d.stderr();
    for a in answers.iter().chain(std::iter::once(&log)) {
        assert!(!a.contains(SECRET), "leaked: {a}");
    }
}
