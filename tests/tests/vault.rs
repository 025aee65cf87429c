//! The encrypted secrets vault: `paddock secrets set|list|rm|keygen`, a
//! wrong key, and a daemon taking a slot's secret from the vault.

use paddock_integration::{Daemon, clean_env, cli, paddock_bin};
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

const VALUE: &str = "vault-held-secret-0123456789";

fn set(dir: &std::path::Path, env: &[(&str, &str)], name: &str, value: &str) -> (i32, String) {
    let mut cmd = Command::new(paddock_bin());
    cmd.args(["secrets", "set", name])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(value.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn secrets_live_encrypted_and_a_wrong_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("secrets.vault").display().to_string();
    let keygen = cli(dir.path(), &["secrets", "keygen"], &[]);
    assert_eq!(keygen.code, 0, "{keygen:?}");
    let key = keygen.stdout.trim().to_string();
    assert_eq!(key.len(), 64);
    let env = [
        ("PADDOCK_VAULT", vault.as_str()),
        ("PADDOCK_MASTER_KEY", key.as_str()),
    ];

    let (code, stderr) = set(dir.path(), &env, "PROBE_TOKEN", &format!("{VALUE}\n"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = set(dir.path(), &env, "1BAD", "x");
    assert_ne!(code, 0);
    assert!(stderr.contains("not valid"), "{stderr}");
    let (code, stderr) = set(dir.path(), &env, "EMPTY", "");
    assert_ne!(code, 0);
    assert!(stderr.contains("empty"), "{stderr}");

    let file = std::fs::read_to_string(&vault).unwrap();
    assert!(
        !file.contains(VALUE) && !file.contains("PROBE_TOKEN"),
        "{file}"
    );
    let list = cli(dir.path(), &["secrets", "list"], &env);
    assert_eq!(list.stdout, "PROBE_TOKEN\n", "{list:?}");
    assert!(!list.stderr.contains(VALUE));

    // A wrong key opens nothing and changes nothing.
    let other_key = cli(dir.path(), &["secrets", "keygen"], &[]).stdout;
    let wrong = [
        ("PADDOCK_VAULT", vault.as_str()),
        ("PADDOCK_MASTER_KEY", other_key.trim()),
    ];
    let out = cli(dir.path(), &["secrets", "list"], &wrong);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("key is wrong"), "{out:?}");
    let (code, stderr) = set(dir.path(), &wrong, "OTHER", "x");
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(std::fs::read_to_string(&vault).unwrap(), file);
    let out = cli(
        dir.path(),
        &["secrets", "list"],
        &[("PADDOCK_VAULT", &vault)],
    );
    assert!(
        out.stderr.contains("PADDOCK_MASTER_KEY is not set"),
        "{out:?}"
    );

    // The daemon takes a slot's secret from the vault (revealed here so the
    // test can see it arrive).
    let d = Daemon::builder()
        .plugins(&["probe_db", "fake_storage", "local_storage", "fake_deploy"])
        .env("DB_DRIVER", "probe_db")
        .env("PADDOCK_VAULT", &vault)
        .env("PADDOCK_MASTER_KEY", &key)
        .file(
            "paddock.toml",
            "[slots.db.grants]\nsecrets = [\"PROBE_TOKEN\"]\nreveal = [\"PROBE_TOKEN\"]\n",
        )
        .start();
    let reply = d.ok("db", "query", json!({"sql": "reveal PROBE_TOKEN"}));
    assert_eq!(reply["rows"][0][0]["text"], VALUE);
    assert!(!d.stderr().contains(VALUE));
    drop(d);

    let rm = cli(dir.path(), &["secrets", "rm", "PROBE_TOKEN"], &env);
    assert_eq!(rm.code, 0, "{rm:?}");
    let rm = cli(dir.path(), &["secrets", "rm", "PROBE_TOKEN"], &env);
    assert_ne!(rm.code, 0);
    assert!(rm.stderr.contains("no secret named PROBE_TOKEN"), "{rm:?}");
    assert_eq!(cli(dir.path(), &["secrets", "list"], &env).stdout, "");
}
