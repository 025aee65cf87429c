//! The `postgres` driver against a real PostgreSQL: a throwaway cluster
//! `initdb`'d in a temporary folder per test, on a free loopback port, with
//! SCRAM-SHA-256 password authentication (md5 and cleartext for two users of
//! their own), stopped when the test ends.
//!
//! Needs `PADDOCK_TEST_PG_BIN`, the folder of `initdb`, `pg_ctl` and
//! `postgres` (`cargo xtask test` installs Debian's `postgresql` and passes
//! it); skipped with a message without it. As root, PostgreSQL runs as the
//! `paddock-pg` user (`runuser`), which `cargo xtask test` creates.

use paddock_integration::{Daemon, assert_contains, free_port, json, message};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PASSWORD: &str = "s3cret-pg-pass";
const PG_USER: &str = "paddock-pg";

/// A running throwaway cluster; stopped (immediate mode) when dropped.
struct Pg {
    bin: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    as_user: bool,
}

impl Pg {
    /// A fresh cluster, or `None` (with a message) without `PADDOCK_TEST_PG_BIN`.
    fn start() -> Option<Pg> {
        let Some(bin) = std::env::var_os("PADDOCK_TEST_PG_BIN").filter(|v| !v.is_empty()) else {
            eprintln!(
                "skipped: PADDOCK_TEST_PG_BIN is not set (the folder of initdb, pg_ctl and postgres; `cargo xtask test` installs PostgreSQL and sets it)"
            );
            return None;
        };
        let bin = PathBuf::from(bin);
        let as_user = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = tempfile::Builder::new()
            .prefix("paddock-pg-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, PASSWORD).unwrap();
        std::fs::create_dir(dir.path().join("sock")).unwrap();
        let mut pg = Pg {
            bin,
            port: 0,
            dir,
            as_user,
        };
        if as_user {
            let status = Command::new("chown")
                .arg("-R")
                .arg(PG_USER)
                .arg(pg.dir.path())
                .status()
                .unwrap();
            assert!(
                status.success(),
                "chown to {PG_USER} (does the user exist? `cargo xtask test` creates it)"
            );
        }
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                &format!("--pwfile={}", path(&pw)),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        // md5 and cleartext for their own users; SCRAM for everyone else.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             host all md5user 127.0.0.1/32 md5\n\
             host all plainuser 127.0.0.1/32 password\n\
             host all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        pg.port = free_port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c log_connections=on",
            pg.port,
            path(&pg.dir.path().join("sock"))
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-l",
                path(&pg.dir.path().join("log")),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", pg.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "PostgreSQL did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_user {
            let mut c = Command::new("runuser");
            c.args(["-u", PG_USER, "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).current_dir(self.dir.path());
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program, args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Runs SQL as the superuser over the Unix socket (psql, trust).
    fn psql(&self, sql: &str) {
        let sock = self.dir.path().join("sock");
        let port = self.port.to_string();
        self.run(
            "psql",
            &[
                "-h",
                path(&sock),
                "-p",
                &port,
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        );
    }

    fn url(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    fn grants(&self) -> String {
        format!(
            "[slots.db]\ndriver = \"postgres\"\n[slots.db.grants]\ntcp = [\"127.0.0.1:{}\"]\n",
            self.port
        )
    }

    /// A daemon whose db slot is this server, as `user`.
    fn daemon_as(&self, user: &str, password: &str) -> Daemon {
        Daemon::builder()
            .env("DATABASE_URL", &self.url(user, password))
            .file("paddock.toml", self.grants())
            .start()
    }

    fn daemon(&self) -> Daemon {
        self.daemon_as("postgres", PASSWORD)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data();
            let _ = self
                .command(
                    "pg_ctl",
                    &["-D", path(&data), "-m", "immediate", "-w", "stop"],
                )
                .output();
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn rows(d: &Daemon, sql: &str) -> Value {
    d.ok("db", "query", json!({"sql": sql}))["rows"].clone()
}

#[test]
fn typed_values_read_only_queries_and_errors() {
    let Some(pg) = Pg::start() else { return };
    let d = pg.daemon();
    let h = d.ok("db", "health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    assert_eq!(h["details"]["database"], "postgres");
    assert_eq!(h["details"]["migration_version"], "none");
    assert!(
        h["details"]["server_version"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert!(!h.to_string().contains(PASSWORD));

    let create = "CREATE TABLE t (id int4 PRIMARY KEY, small int2, big int8, ok boolean, \
                  r real, f float8, n numeric(10,2), name text, code varchar(8), raw bytea, \
                  j json, jb jsonb, at timestamptz, local timestamp, day date, tags int4[])";
    let r = d.ok("db", "execute", json!({"sql": create}));
    assert_eq!(r["rows_affected"], 0);
    let insert = "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    let params = json!([
        {"integer": 1}, {"integer": -7}, {"integer": 9_007_199_254_740_993_i64}, {"boolean": true},
        {"float": 1.5}, {"float": 0.1}, {"float": 12.25}, {"text": "héllo 'quoted'"},
        {"text": "abc"}, {"bytes": [0, 1, 255]}, {"json": "{\"a\": [1, 2]}"},
        {"json": "{\"b\": null}"}, {"timestamp": "2024-05-01T12:00:00.5Z"},
        {"timestamp": "2024-05-01T08:30:00Z"}, {"timestamp": "2024-05-01"}, {"text": "{1,2}"}
    ]);
    let r = d.ok("db", "execute", json!({"sql": insert, "params": params}));
    assert_eq!(r["rows_affected"], 1);
    let nulls: Vec<Value> = (0..15).map(|_| json!("null")).collect();
    let mut p2 = vec![json!({"integer": 2})];
    p2.extend(nulls);
    d.ok("db", "execute", json!({"sql": insert, "params": p2}));

    let rs = d.ok("db", "query", json!({"sql": "SELECT * FROM t ORDER BY id"}));
    assert_eq!(rs["rows_read"], 2);
    let types: Vec<(&str, &str)> = rs["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type_name"].as_str().unwrap(),
                c["value_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("integer", "integer"),
            ("smallint", "integer"),
            ("bigint", "integer"),
            ("boolean", "boolean"),
            ("real", "float"),
            ("double precision", "float"),
            ("numeric", "float"),
            ("text", "text"),
            ("character varying", "text"),
            ("bytea", "bytes"),
            ("json", "json"),
            ("jsonb", "json"),
            ("timestamp with time zone", "timestamp"),
            ("timestamp without time zone", "timestamp"),
            ("date", "timestamp"),
            ("integer[]", "unknown"),
        ]
    );
    assert_eq!(
        rs["rows"][0],
        json!([
            {"integer": 1}, {"integer": -7}, {"integer": 9_007_199_254_740_993_i64},
            {"boolean": true}, {"float": 1.5}, {"float": 0.1}, {"float": 12.25},
            {"text": "héllo 'quoted'"}, {"text": "abc"}, {"bytes": "AAH/"},
            {"json": "{\"a\": [1, 2]}"}, {"json": "{\"b\": null}"},
            {"timestamp": "2024-05-01T12:00:00.5Z"}, {"timestamp": "2024-05-01T08:30:00Z"},
            {"timestamp": "2024-05-01"}, {"text": "{1,2}"}
        ])
    );
    assert!(
        rs["rows"][1].as_array().unwrap()[1..]
            .iter()
            .all(|v| v == "null"),
        "{}",
        rs["rows"][1]
    );
    // Parameters take the types PostgreSQL infers; a cast picks one.
    let r = d.ok(
        "db",
        "query",
        json!({"sql": "SELECT $1::int8 + 1 AS n, $2::bool AS b, $3 AS s", "params": [{"integer": 41}, {"boolean": false}, {"text": "x"}]}),
    );
    assert_eq!(
        r["rows"],
        json!([[{"integer": 42}, {"boolean": false}, {"text": "x"}]])
    );
    assert_eq!(r["columns"][0]["name"], "n");

    // Read-only, by PostgreSQL's own doing.
    for write in [
        "INSERT INTO t (id) VALUES (3)",
        "UPDATE t SET name = 'x'",
        "DROP TABLE t",
        "CREATE TABLE u (x int)",
    ] {
        let e = d.fail("db", "query", json!({"sql": write}), 403, "access-denied");
        assert_contains(
            message(&e),
            &["read-only transaction", "SQLSTATE 25006", "use execute"],
        );
    }
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SET TRANSACTION READ WRITE"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["before any query"]);
    assert_eq!(
        rows(&d, "SELECT count(*) FROM t"),
        json!([[{"integer": 2}]])
    );

    // Errors by SQLSTATE.
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "INSERT INTO t (id) VALUES (1)"}),
        409,
        "conflict",
    );
    assert_contains(
        message(&e),
        &["duplicate key", "t_pkey", "Key (id)=(1)", "SQLSTATE 23505"],
    );
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "SELEC 1"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["syntax error", "SQLSTATE 42601"]);
    let e = d.fail(
        "db",
        "query",
        json!({"sql": "SELECT * FROM nope"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["\"nope\" does not exist", "SQLSTATE 42P01"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": create}),
        409,
        "already-exists",
    );
    assert_contains(message(&e), &["SQLSTATE 42P07"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "INSERT INTO t (id, big) VALUES ($1, $2)", "params": [{"integer": 5}]}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["2 parameter(s) but 1 value(s)"]);
    let e = d.fail(
        "db",
        "execute",
        json!({"sql": "SELECT 1; SELECT 2"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["more than one statement"]);
    let e = d.fail("db", "list_branches", json!({}), 501, "unsupported");
    assert_contains(message(&e), &["no database branches"]);
    assert!(
        !d.stderr().contains(PASSWORD),
        "the password leaked into the log"
    );
}

fn write_migration(dir: &Path, file: &str, sql: &str) {
    std::fs::write(dir.join(file), sql).unwrap();
}

fn states(report: &Value) -> Vec<String> {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} {} {}",
                m["version"],
                m["name"].as_str().unwrap(),
                m["state"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn migrations_and_batches() {
    let Some(pg) = Pg::start() else { return };
    let d = pg.daemon();
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    let arg = json!(m.display().to_string());
    write_migration(
        m,
        "0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
    );
    write_migration(
        m,
        "0002_seed.sql",
        "INSERT INTO users VALUES (1, 'root@x');\nCREATE INDEX users_email ON users (email);\n",
    );
    let r = d.ok("db", "migrate", json!({"dir": arg, "dry_run": true}));
    assert_eq!(states(&r), ["1 users pending", "2 seed pending"]);
    assert_eq!(d.ok("db", "list_tables", json!({})), json!([]));
    let r = d.ok("db", "migrate", json!({"dir": arg}));
    assert_eq!(states(&r), ["1 users applied-now", "2 seed applied-now"]);
    assert_eq!(r["current_version"], 2);
    let r = d.ok("db", "migrate", json!({"dir": arg}));
    assert_eq!(
        states(&r),
        ["1 users applied", "2 seed applied"],
        "idempotent"
    );
    assert_eq!(
        rows(&d, "SELECT count(*) FROM users"),
        json!([[{"integer": 1}]])
    );
    assert_eq!(
        d.ok("db", "health", json!({}))["details"]["migration_version"],
        "2"
    );

    // A failing migration rolls back whole, DDL included.
    write_migration(
        m,
        "0003_half.sql",
        "CREATE TABLE posts (id int);\nINSERT INTO nope VALUES (1);\n",
    );
    let e = d.fail("db", "migrate", json!({"dir": arg}), 404, "not-found");
    assert_contains(
        message(&e),
        &["migration 3 ('half')", "nope", "SQLSTATE 42P01"],
    );
    let tables = d.ok("db", "list_tables", json!({}));
    assert!(!tables.to_string().contains("posts"), "{tables}");
    std::fs::remove_file(m.join("0003_half.sql")).unwrap();

    // An edited, applied migration is a conflict and nothing runs.
    let changed = "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n";
    write_migration(m, "0001_users.sql", changed);
    write_migration(m, "0004_tags.sql", "CREATE TABLE tags (name text);");
    let e = d.fail("db", "migrate", json!({"dir": arg}), 409, "conflict");
    let sum = hex::encode(Sha256::digest(changed.as_bytes()));
    assert_contains(
        message(&e),
        &["migration 1 ('users')", &sum, "never re-run"],
    );
    let r = d.ok("db", "migrate", json!({"dir": arg, "dry_run": true}));
    assert_eq!(
        states(&r),
        [
            "1 users checksum-mismatch",
            "2 seed applied",
            "4 tags pending"
        ]
    );
    assert!(
        !d.ok("db", "list_tables", json!({}))
            .to_string()
            .contains("tags")
    );

    // Portable tables, batches in every mode, keyset paging.
    let people = json!({"table": {"name": "people", "columns": [
        {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
        {"name": "email", "value_type": "text", "nullable": false, "primary_key": false},
        {"name": "score", "value_type": "float", "nullable": true, "primary_key": false},
        {"name": "seen", "value_type": "timestamp", "nullable": true, "primary_key": false},
    ]}});
    assert_eq!(d.ok("db", "create_table", people.clone()), Value::Null);
    d.fail("db", "create_table", people, 409, "already-exists");
    let listed = d.ok("db", "list_tables", json!({}));
    let p = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "people")
        .unwrap();
    assert_eq!(
        p["columns"][0],
        json!({"name": "id", "value_type": "integer", "nullable": false, "primary_key": true})
    );
    assert!(!listed.to_string().contains("_paddock_migrations"));
    let cols = json!(["id", "email", "score", "seen"]);
    let batch: Vec<Value> = (1..=25)
        .map(|i| json!([{"integer": i}, {"text": format!("p{i}@x")}, {"integer": i}, {"timestamp": "2024-01-02T03:04:05Z"}]))
        .collect();
    let w = d.ok(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols, "rows": batch, "mode": "append"}),
    );
    assert_eq!(w["rows_written"], 25);
    let dup = json!([[{"integer": 26}, {"text": "new"}, "null", "null"], [{"integer": 3}, {"text": "dup"}, "null", "null"]]);
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": cols, "rows": dup, "mode": "append"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["row 1", "SQLSTATE 23505"]);
    let up = json!([[{"integer": 3}, {"text": "three@x"}, {"float": 0.5}, "null"], [{"integer": 30}, {"text": "p30@x"}, "null", "null"]]);
    let w = d.ok("db", "write_rows", json!({"table": "people", "columns": cols, "rows": up, "mode": "upsert", "key_columns": ["id"]}));
    assert_eq!(w["rows_written"], 2);
    assert_eq!(
        rows(&d, "SELECT count(*) FROM people"),
        json!([[{"integer": 26}]]),
        "row 26 was rolled back"
    );
    assert_eq!(
        rows(&d, "SELECT email, score, seen FROM people WHERE id = 3"),
        json!([[{"text": "three@x"}, {"float": 0.5}, "null"]])
    );
    let e = d.fail(
        "db",
        "write_rows",
        json!({"table": "people", "columns": ["id", "email"], "rows": [[{"text": "x"}, {"text": "y"}]], "mode": "append"}),
        400,
        "invalid-input",
    );
    assert_contains(
        message(&e),
        &["row 0: column 'id' (bigint) cannot hold text 'x'"],
    );

    let (mut ids, mut cursor, mut batches) = (Vec::new(), Value::Null, 0);
    loop {
        let b = d.ok(
            "db",
            "read_rows",
            json!({"table": "people", "columns": ["id", "seen"], "cursor": cursor, "limit": 10}),
        );
        batches += 1;
        for r in b["rows"].as_array().unwrap() {
            ids.push(r[0]["integer"].as_i64().unwrap());
        }
        assert_eq!(b["columns"][1]["value_type"], "timestamp");
        if b["next_cursor"].is_null() {
            break;
        }
        cursor = b["next_cursor"].clone();
    }
    assert_eq!(batches, 3);
    let mut want: Vec<i64> = (1..=25).collect();
    want.push(30);
    assert_eq!(ids, want);
    let first = d.ok("db", "read_rows", json!({"table": "people", "limit": 1}));
    assert_eq!(
        first["rows"][0][3],
        json!({"timestamp": "2024-01-02T03:04:05Z"})
    );
    let e = d.fail(
        "db",
        "read_rows",
        json!({"table": "users", "cursor": first["next_cursor"]}),
        400,
        "invalid-input",
    );
    assert_contains(
        message(&e),
        &["was not returned by read-rows of table 'users'"],
    );

    let w = d.ok("db", "write_rows", json!({"table": "people", "columns": ["id", "email"], "rows": [[{"integer": 7}, {"text": "only"}]], "mode": "overwrite"}));
    assert_eq!(w["rows_written"], 1);
    assert_eq!(
        rows(&d, "SELECT id, email FROM people"),
        json!([[{"integer": 7}, {"text": "only"}]])
    );
}

#[test]
fn authentication_and_grants() {
    let Some(pg) = Pg::start() else { return };
    // SCRAM-SHA-256 (the cluster's default), with the password in the URL.
    let d = pg.daemon();
    assert_eq!(rows(&d, "SELECT 1"), json!([[{"integer": 1}]]));
    // md5 and cleartext users of their own.
    pg.psql(
        "SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN SUPERUSER PASSWORD 'md5-pass'",
    );
    pg.psql("CREATE ROLE plainuser LOGIN PASSWORD 'plain-pass'");
    let md5 = pg.daemon_as("md5user", "md5-pass");
    assert_eq!(
        rows(&md5, "SELECT current_user::text"),
        json!([[{"text": "md5user"}]])
    );
    let plain = pg.daemon_as("plainuser", "plain-pass");
    assert_eq!(
        rows(&plain, "SELECT current_user::text"),
        json!([[{"text": "plainuser"}]])
    );

    let log = std::fs::read_to_string(pg.dir.path().join("log")).unwrap();
    for method in ["method=scram-sha-256", "method=md5", "method=password"] {
        assert!(
            log.contains(method),
            "no {method} in the server log:\n{log}"
        );
    }

    // A wrong password: access-denied, and the password is not echoed.
    let bad = pg.daemon_as("postgres", "wrong-password");
    let e = bad.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        403,
        "access-denied",
    );
    assert_contains(
        message(&e),
        &[
            "password authentication failed",
            "SQLSTATE 28P01",
            "postgres@127.0.0.1",
        ],
    );
    assert!(!message(&e).contains("wrong-password"), "{e}");
    let h = bad.ok("db", "health", json!({}));
    assert_eq!(h["healthy"], false);
    assert!(!h.to_string().contains("wrong-password"));

    // The password from the secret PGPASSWORD, only when revealed to the slot.
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let granted = Daemon::builder()
        .env("DATABASE_URL", &url)
        .env("PGPASSWORD", PASSWORD)
        .file(
            "paddock.toml",
            format!(
                "{}secrets = [\"PGPASSWORD\"]\nreveal = [\"PGPASSWORD\"]\n",
                pg.grants()
            ),
        )
        .start();
    assert_eq!(rows(&granted, "SELECT 2"), json!([[{"integer": 2}]]));
    assert!(!granted.stderr().contains(PASSWORD));
    let unrevealed = Daemon::builder()
        .env("DATABASE_URL", &url)
        .env("PGPASSWORD", PASSWORD)
        .file(
            "paddock.toml",
            format!("{}secrets = [\"PGPASSWORD\"]\n", pg.grants()),
        )
        .start();
    let e = unrevealed.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        403,
        "access-denied",
    );
    assert_contains(
        message(&e),
        &["asks postgres@127.0.0.1", "reveal = [\"PGPASSWORD\"]"],
    );

    // TCP goes only where granted.
    let other = free_port();
    let elsewhere = Daemon::builder()
        .env(
            "DATABASE_URL",
            &format!("postgres://postgres:{PASSWORD}@127.0.0.1:{other}/postgres"),
        )
        .file("paddock.toml", pg.grants())
        .start();
    let e = elsewhere.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        403,
        "access-denied",
    );
    assert_contains(message(&e), &[&format!("127.0.0.1:{other}"), "tcp ="]);
    assert!(!message(&e).contains(PASSWORD));
    let ungranted = Daemon::builder()
        .env("DATABASE_URL", &pg.url("postgres", PASSWORD))
        .start();
    ungranted.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        403,
        "access-denied",
    );

    // No TLS: asking for it is refused, clearly.
    let tls = Daemon::builder()
        .env(
            "DATABASE_URL",
            &format!("{}?sslmode=require", pg.url("postgres", PASSWORD)),
        )
        .file("paddock.toml", pg.grants())
        .start();
    let e = tls.fail(
        "db",
        "query",
        json!({"sql": "SELECT 1"}),
        501,
        "unsupported",
    );
    assert_contains(message(&e), &["sslmode=require", "no TLS"]);
}

/// The db conformance kit passes against the real server.
#[test]
fn the_conformance_kit_passes_against_postgres() {
    let Some(pg) = Pg::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("paddock.toml");
    std::fs::write(&config, pg.grants()).unwrap();
    let file = paddock_integration::wasm("postgres_db")
        .display()
        .to_string();
    let url = pg.url("postgres", PASSWORD);
    let out = paddock_integration::cli(
        dir.path(),
        &[
            "test-driver",
            "db",
            &file,
            "--config",
            config.to_str().unwrap(),
        ],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(" 0 failed"), "{out:?}");
}

/// `paddock db copy`: 100k rows from the default sqlite slot into PostgreSQL.
#[test]
fn db_copy_moves_100k_rows_from_sqlite_into_postgres() {
    let Some(pg) = Pg::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("paddock.toml"),
        format!(
            "[slots.db]\ndriver = \"sqlite\"\n[slots.warehouse]\ndriver = \"postgres\"\n\
             [slots.warehouse.settings]\nurl = \"{}\"\n\
             [slots.warehouse.grants]\ntcp = [\"127.0.0.1:{}\"]\n",
            pg.url("postgres", PASSWORD),
            pg.port
        ),
    )
    .unwrap();
    let data = d.join(".paddock").display().to_string();
    let plugins = paddock_integration::plugins_dir().display().to_string();
    let env = [
        ("PADDOCK_DATA", data.as_str()),
        ("PADDOCK_PLUGINS", plugins.as_str()),
    ];
    let run = |args: &[&str]| paddock_integration::cli(d, args, &env);
    for (verb, json) in [
        (
            "create_table",
            r#"{"table": {"name": "events", "columns": [
                {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
                {"name": "kind", "value_type": "text", "nullable": false, "primary_key": false},
                {"name": "amount", "value_type": "float", "nullable": true, "primary_key": false},
                {"name": "ok", "value_type": "boolean", "nullable": true, "primary_key": false}]}}"#,
        ),
        (
            "execute",
            r#"{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) INSERT INTO events (id, kind, amount, ok) SELECT x, 'kind ' || (x % 7), x / 4.0, x % 2 FROM c"}"#,
        ),
    ] {
        let out = run(&["call", "db", verb, "--in-process", "--json", json]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    let out = run(&[
        "db",
        "copy",
        "--from",
        "db",
        "--to",
        "warehouse",
        "--batch",
        "5000",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("100000 in db, 100000 in warehouse"),
        "{out:?}"
    );
    let out = run(&[
        "call",
        "warehouse",
        "query",
        "--in-process",
        "--json",
        r#"{"sql": "SELECT kind, amount, ok FROM events WHERE id = 99999"}"#,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("kind 4")
            && out.stdout.contains("24999.75")
            && out.stdout.contains("true"),
        "{}",
        out.stdout
    );
}
