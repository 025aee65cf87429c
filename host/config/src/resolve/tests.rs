//! End-to-end tests of [`super::load_in`] over real files in a temp folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Overrides, load_in};
use crate::env::Environment;
use crate::error::{ConfigError, Issue};
use crate::model::{Config, DriverSource, FolderAccess};

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load(&self, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        self.load_with(&Overrides::default(), vars)
    }

    fn load_with(
        &self,
        overrides: &Overrides,
        vars: &[(&str, &str)],
    ) -> Result<Config, ConfigError> {
        load_in(overrides, env(vars), self.path())
    }

    fn ok(&self, vars: &[(&str, &str)]) -> Config {
        self.load(vars)
            .unwrap_or_else(|e| panic!("load failed:\n{e}"))
    }
}

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_map(
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn driver(config: &Config, slot: &str) -> (String, DriverSource) {
    let slot = config.slot(slot).unwrap();
    (slot.driver.clone(), slot.driver_source.clone())
}

#[test]
fn defaults_with_no_files_and_no_env() {
    let f = Fixture::new();
    let config = f.ok(&[]);
    let slots: Vec<(&str, &str)> = config
        .slots
        .values()
        .map(|s| (s.name.as_str(), s.driver.as_str()))
        .collect();
    assert_eq!(
        slots,
        [
            ("backend", "fake_backend"),
            ("db", "sqlite"),
            ("frontend", "fake_frontend"),
            ("storage", "local")
        ]
    );
    assert!(
        config
            .slots
            .values()
            .all(|s| s.driver_source == DriverSource::Default)
    );
    assert!(
        config
            .slots
            .values()
            .all(|s| s.grants.state && s.grants.http.is_empty())
    );
    assert_eq!(config.listen.to_string(), "127.0.0.1:7001");
    assert_eq!(config.data_dir, f.path().join(".paddock"));
    assert_eq!(config.plugins_dir, f.path().join(".paddock/plugins"));
    assert_eq!(config.config_file, None);
    assert_eq!(config.drivers_file, None);
}

#[test]
fn every_priority_level_for_db_and_its_recorded_source() {
    let f = Fixture::new();
    let drivers = f.write(
        "config/drivers.toml",
        "[database]\ndriver = \"from_drivers\"\n",
    );
    let paddock = f.write("paddock.toml", "[slots.db]\ndriver = \"from_paddock\"\n");
    let url = "postgres://app:hunter2@db.internal:5432/app";
    let mut vars = vec![
        ("DB_DRIVER", "neon"),
        ("DATABASE_DRIVER", "planetscale"),
        ("DATABASE_TYPE", "supabase"),
        ("DATABASE_URL", url),
    ];
    let env_source = |var: &str| DriverSource::Env { var: var.into() };

    assert_eq!(
        driver(&f.ok(&vars), "db"),
        ("neon".into(), env_source("DB_DRIVER"))
    );
    vars.remove(0);
    assert_eq!(
        driver(&f.ok(&vars), "db"),
        ("planetscale".into(), env_source("DATABASE_DRIVER"))
    );
    vars.remove(0);
    assert_eq!(
        driver(&f.ok(&vars), "database"),
        (
            "supabase".into(),
            DriverSource::DatabaseType {
                value: "supabase".into()
            }
        )
    );
    vars.remove(0);
    let (name, source) = driver(&f.ok(&vars), "db");
    assert_eq!(name, "postgres");
    assert_eq!(
        source.describe(),
        "DATABASE_URL (postgres://***@db.internal:5432/app)"
    );
    vars.remove(0);
    assert_eq!(
        driver(&f.ok(&vars), "db"),
        (
            "from_paddock".into(),
            DriverSource::PaddockToml {
                path: paddock.clone()
            }
        )
    );
    assert_eq!(
        f.ok(&vars).slot("db").unwrap().driver_source.describe(),
        format!("paddock.toml ({})", paddock.display())
    );
    f.write("paddock.toml", "[slots.db.settings]\nx = 1\n");
    assert_eq!(
        driver(&f.ok(&vars), "db"),
        (
            "from_drivers".into(),
            DriverSource::DriversToml { path: drivers }
        )
    );
    std::fs::remove_file(f.path().join("config/drivers.toml")).unwrap();
    assert_eq!(
        driver(&f.ok(&vars), "db"),
        ("sqlite".into(), DriverSource::Default)
    );
}

#[test]
fn every_priority_level_for_a_deploy_slot() {
    let f = Fixture::new();
    f.write("config/drivers.toml", "[frontend]\ndriver = \"netlify\"\n");
    f.write("paddock.toml", "[slots.frontend]\ndriver = \"vercel\"\n");
    let (name, source) = driver(&f.ok(&[("FRONTEND_DRIVER", "fake_frontend")]), "frontend");
    assert_eq!(
        (name.as_str(), source.describe().as_str()),
        ("fake_frontend", "env FRONTEND_DRIVER")
    );
    assert_eq!(driver(&f.ok(&[]), "frontend").0, "vercel");
    // An empty variable counts as unset.
    assert_eq!(
        driver(&f.ok(&[("FRONTEND_DRIVER", "")]), "frontend").0,
        "vercel"
    );
    f.write("paddock.toml", "");
    assert_eq!(driver(&f.ok(&[]), "frontend").0, "netlify");
    // DATABASE_* only ever concern db.
    let config = f.ok(&[("DATABASE_TYPE", "supabase"), ("BACKEND_DRIVER", "render")]);
    assert_eq!(driver(&config, "backend").0, "render");
    assert_eq!(
        driver(&config, "storage"),
        ("local".into(), DriverSource::Default)
    );
}

#[test]
fn database_alias_in_paddock_toml_and_lookups() {
    let f = Fixture::new();
    f.write("paddock.toml", "[slots.database]\ndriver = \"neon\"\n");
    let config = f.ok(&[]);
    assert!(config.slots.contains_key("db"));
    assert!(!config.slots.contains_key("database"));
    assert_eq!(config.slot("database").unwrap().driver, "neon");
    assert_eq!(config.slot("db").unwrap().name, "db");
}

#[test]
fn database_url_detection() {
    let f = Fixture::new();
    for (url, want) in [
        ("sqlite:./data/pierre.db", "sqlite"),
        ("postgres://u:p@localhost/db", "postgres"),
        ("postgresql://u:p@localhost:5432/db", "postgres"),
    ] {
        let config = f.ok(&[("DATABASE_URL", url)]);
        let db = config.slot("db").unwrap();
        assert_eq!(db.driver, want, "{url}");
        assert!(matches!(db.driver_source, DriverSource::DatabaseUrl { .. }));
        assert_eq!(
            db.settings["url"], url,
            "the url setting keeps the real URL"
        );
    }
    let err = f
        .load(&[("DATABASE_URL", "mysql://root:hunter2@localhost/db")])
        .unwrap_err();
    assert_eq!(
        err.issues(),
        [Issue::DatabaseUrl {
            scheme: Some("mysql".into())
        }]
    );
    assert!(!err.to_string().contains("hunter2"));
    // A higher level makes the scheme irrelevant; the url setting still comes along.
    let config = f.ok(&[
        ("DB_DRIVER", "planetscale"),
        ("DATABASE_URL", "mysql://h/db"),
    ]);
    assert_eq!(config.slot("db").unwrap().settings["url"], "mysql://h/db");
}

#[test]
fn database_url_does_not_override_a_url_setting() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        "[slots.db.settings]\nurl = \"sqlite:mine.db\"\n",
    );
    let config = f.ok(&[("DATABASE_URL", "postgres://h/db")]);
    let db = config.slot("db").unwrap();
    assert_eq!(db.driver, "postgres");
    assert_eq!(db.settings["url"], "sqlite:mine.db");
}

#[test]
fn database_type_values() {
    let f = Fixture::new();
    for (value, want) in [
        ("supabase", "supabase"),
        ("postgresql", "postgres"),
        ("postgres", "postgres"),
    ] {
        assert_eq!(
            driver(&f.ok(&[("DATABASE_TYPE", value)]), "db").0,
            want,
            "{value}"
        );
    }
    // DATABASE_TYPE outranks DATABASE_URL.
    let config = f.ok(&[
        ("DATABASE_TYPE", "supabase"),
        ("DATABASE_URL", "sqlite:x.db"),
    ]);
    assert_eq!(driver(&config, "db").0, "supabase");
    let err = f.load(&[("DATABASE_TYPE", "mysql")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported DATABASE_TYPE `mysql`: use supabase, postgresql, postgres or sqlite, or set DB_DRIVER to choose the driver"
    );
}

#[test]
fn env_overrides_never_create_slots() {
    let f = Fixture::new();
    let config = f.ok(&[("ARCHIVE_DRIVER", "s3"), ("PADDOCK_DRIVER", "x")]);
    assert_eq!(config.slots.len(), 4);
    assert!(config.slot("archive").is_none());

    f.write("paddock.toml", "[slots.archive.settings]\nbucket = \"b\"\n");
    let config = f.ok(&[("ARCHIVE_DRIVER", "s3")]);
    let archive = config.slot("archive").unwrap();
    assert_eq!(archive.driver, "s3");
    assert_eq!(archive.driver_source.describe(), "env ARCHIVE_DRIVER");

    let err = f.load(&[]).unwrap_err().to_string();
    assert!(
        err.contains("paddock.toml:1: slot `archive` has no driver: add `driver = \"...\"` to [slots.archive] or set ARCHIVE_DRIVER"),
        "{err}"
    );
}

#[test]
fn custom_slots_with_dashes_read_their_env_var() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        "[slots.analytics-db]\ndriver = \"sqlite\"\n",
    );
    let config = f.ok(&[("ANALYTICS_DB_DRIVER", "postgres")]);
    assert_eq!(driver(&config, "analytics-db").0, "postgres");
    f.write(
        "paddock.toml",
        "[slots.a-b]\ndriver = \"x\"\n[slots.a_b]\ndriver = \"y\"\n",
    );
    let err = f.load(&[]).unwrap_err().to_string();
    assert!(
        err.contains("slots `a-b` and `a_b` would both be chosen by env A_B_DRIVER"),
        "{err}"
    );
}

#[test]
fn invalid_driver_names_are_rejected_with_their_origin() {
    let f = Fixture::new();
    let err = f.load(&[("DB_DRIVER", "../evil")]).unwrap_err().to_string();
    assert!(
        err.starts_with("invalid driver name `../evil` from env DB_DRIVER:"),
        "{err}"
    );
}

#[test]
fn interpolation_in_both_files() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        r#"
[slots.db]
driver = "${DB_KIND:-neon}"
[slots.db.settings]
project = "${NEON_PROJECT_ID}"
price = "$$5"
region = "${REGION:-us-east-2}"
[slots.db.grants]
http = ["https://${NEON_HOST:-console.neon.tech}"]
"#,
    );
    f.write(
        "config/drivers.toml",
        "[storage]\ndriver = \"${STORE:-s3}\"\nbucket = \"${BUCKET}\"\n",
    );
    let config = f.ok(&[("NEON_PROJECT_ID", "p-1"), ("BUCKET", "assets")]);
    let db = config.slot("db").unwrap();
    assert_eq!(db.driver, "neon");
    assert_eq!(db.settings["project"], "p-1");
    assert_eq!(db.settings["price"], "$5");
    assert_eq!(db.settings["region"], "us-east-2");
    assert_eq!(db.grants.http, ["https://console.neon.tech"]);
    let storage = config.slot("storage").unwrap();
    assert_eq!(
        (storage.driver.as_str(), storage.settings["bucket"].as_str()),
        ("s3", "assets")
    );
}

#[test]
fn all_missing_variables_are_reported_at_once() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        r#"
[slots.db]
driver = "neon"
[slots.db.settings]
key = "${NEON_API_KEY}"
project = "${NEON_PROJECT_ID}"
again = "${NEON_API_KEY}"
"#,
    );
    f.write(
        "config/drivers.toml",
        "[storage]\nbucket = \"${S3_BUCKET}\"\n",
    );
    // DB_DRIVER outranks the file, but its strings are still checked.
    let err = f.load(&[("DB_DRIVER", "sqlite")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Missing required environment variables: NEON_API_KEY, NEON_PROJECT_ID, S3_BUCKET"
    );
    assert_eq!(
        err.missing_env(),
        ["NEON_API_KEY", "NEON_PROJECT_ID", "S3_BUCKET"]
    );
}

#[test]
fn malformed_interpolation_names_file_and_key() {
    let f = Fixture::new();
    let path = f.write("paddock.toml", "[server]\nlisten = \"${PORT\"\n");
    let err = f.load(&[]).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: server.listen: unterminated `${{PORT`: close it with `}}`, or write `$$` for a literal `$`",
            path.display()
        )
    );
}

#[test]
fn unknown_keys_are_rejected_with_path_and_valid_keys() {
    let f = Fixture::new();
    let path = f.write("paddock.toml", "[slots.db]\ndrvier = \"neon\"\n");
    let err = f.load(&[]).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:2: unknown key `slots.db.drvier` (did you mean `driver`?); valid keys here are: driver, settings, grants",
            path.display()
        )
    );
}

#[test]
fn bad_slot_names_are_rejected() {
    let f = Fixture::new();
    f.write("paddock.toml", "[slots.Analytics]\ndriver = \"x\"\n");
    let err = f.load(&[]).unwrap_err();
    assert!(matches!(&err.issues()[0], Issue::InvalidSlotName { name, .. } if name == "Analytics"));
}

#[test]
fn folder_grants_resolve_against_the_config_files_folder() {
    let f = Fixture::new();
    let config_path = f.write(
        "etc/paddock/paddock.toml",
        r#"
[slots.db.grants]
folder = { path = "data/db", access = "read-write" }
[slots.storage.grants]
folder = { path = "/srv/files" }
state = false
"#,
    );
    // Loaded from another working directory, through --config.
    let overrides = Overrides {
        config: Some(PathBuf::from("etc/paddock/paddock.toml")),
        ..Overrides::default()
    };
    let config = f.load_with(&overrides, &[]).unwrap();
    assert_eq!(config.config_file.as_deref(), Some(config_path.as_path()));
    let db = config.slot("db").unwrap().grants.folder.clone().unwrap();
    assert_eq!(db.path, f.path().join("etc/paddock/data/db"));
    assert_eq!(db.access, FolderAccess::ReadWrite);
    let storage = &config.slot("storage").unwrap().grants;
    assert_eq!(
        storage.folder.as_ref().unwrap().path,
        Path::new("/srv/files")
    );
    assert_eq!(
        storage.folder.as_ref().unwrap().access,
        FolderAccess::ReadOnly
    );
    assert!(!storage.state);
    assert!(config.slot("db").unwrap().grants.state);
}

#[test]
fn grant_values_are_checked() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        "[slots.db.grants]\nsecrets = [\"NEON-KEY\", \"OK_1\"]\nhttp = [\"\"]\nfolder = { path = \"d\", access = \"rw\" }\n",
    );
    let err = f.load(&[]).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 3, "{text}");
    assert!(text.contains("invalid secret name `NEON-KEY`"), "{text}");
    assert!(text.contains("invalid http grant ``"), "{text}");
    assert!(text.contains("invalid folder access `rw`"), "{text}");
    assert!(text.contains("\"read-only\" or \"read-write\""), "{text}");
}

#[test]
fn drivers_toml_catalogue_gives_required_env() {
    let f = Fixture::new();
    f.write(
        "config/drivers.toml",
        r#"
[database]
driver = "neon"
region = "eu"

[database.drivers.neon]
description = "Neon serverless Postgres"
required_env = ["NEON_API_KEY", "NEON_PROJECT_ID"]

[database.drivers.planetscale]
description = "PlanetScale serverless MySQL"
required_env = ["PLANETSCALE_TOKEN", "PLANETSCALE_ORG"]
"#,
    );
    f.write(
        "paddock.toml",
        "[slots.database.settings]\nregion = \"us\"\n",
    );
    let config = f.ok(&[("NEON_API_KEY", "k")]);
    let db = config.slot("db").unwrap();
    assert_eq!(db.driver, "neon");
    assert_eq!(db.required_env, ["NEON_API_KEY", "NEON_PROJECT_ID"]);
    assert_eq!(db.missing_env(&config.env), ["NEON_PROJECT_ID"]);
    assert_eq!(db.settings["region"], "us", "paddock.toml settings win");
    let config = f.ok(&[("DB_DRIVER", "planetscale")]);
    assert_eq!(
        config.slot("db").unwrap().required_env,
        ["PLANETSCALE_TOKEN", "PLANETSCALE_ORG"]
    );
    let config = f.ok(&[("DB_DRIVER", "sqlite")]);
    assert!(config.slot("db").unwrap().required_env.is_empty());
}

#[test]
fn server_settings_priority() {
    let f = Fixture::new();
    f.write(
        "conf/paddock.toml",
        "[server]\nlisten = \"127.0.0.2:9000\"\ndata = \"state\"\n",
    );
    let file_only = Overrides {
        config: Some(PathBuf::from("conf/paddock.toml")),
        ..Overrides::default()
    };
    // File over defaults; file paths relative to the file; plugins follow data.
    let config = f.load_with(&file_only, &[]).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.2:9000");
    assert_eq!(config.data_dir, f.path().join("conf/state"));
    assert_eq!(config.plugins_dir, f.path().join("conf/state/plugins"));

    // Env over file; env paths relative to the working directory.
    let vars = [
        ("PADDOCK_LISTEN", "127.0.0.1:8000"),
        ("PADDOCK_DATA", "envdata"),
        ("PADDOCK_PLUGINS", "/opt/plugins"),
    ];
    let config = f.load_with(&file_only, &vars).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(config.data_dir, f.path().join("envdata"));
    assert_eq!(config.plugins_dir, Path::new("/opt/plugins"));

    // Flags over env.
    let flags = Overrides {
        listen: Some("localhost:7100".into()),
        data: Some(PathBuf::from("/var/lib/paddock")),
        plugins: Some(PathBuf::from("./plugins")),
        ..file_only.clone()
    };
    let config = f.load_with(&flags, &vars).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:7100");
    assert_eq!(config.data_dir, Path::new("/var/lib/paddock"));
    assert_eq!(config.plugins_dir, f.path().join("plugins"));
}

#[test]
fn config_file_from_env_and_missing_explicit_files() {
    let f = Fixture::new();
    let path = f.write("other.toml", "[slots.db]\ndriver = \"neon\"\n");
    let config = f.ok(&[("PADDOCK_CONFIG", "other.toml")]);
    assert_eq!(config.config_file.as_deref(), Some(path.as_path()));
    assert_eq!(driver(&config, "db").0, "neon");

    let err = f
        .load(&[("PADDOCK_CONFIG", "nope.toml")])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{} not found (named by PADDOCK_CONFIG): create it, or point PADDOCK_CONFIG at an existing file",
            f.path().join("nope.toml").display()
        )
    );
    let overrides = Overrides {
        config: Some(PathBuf::from("missing.toml")),
        ..Overrides::default()
    };
    let err = f
        .load_with(&overrides, &[("PADDOCK_CONFIG", "other.toml")])
        .unwrap_err();
    assert!(err.to_string().contains("(named by --config)"), "{err}");
}

#[test]
fn drivers_file_can_be_named_in_server_section_or_env() {
    let f = Fixture::new();
    let drivers = f.write("deploy/drivers.toml", "[backend]\ndriver = \"render\"\n");
    f.write(
        "paddock.toml",
        "[server]\ndrivers = \"deploy/drivers.toml\"\n",
    );
    let config = f.ok(&[]);
    assert_eq!(config.drivers_file.as_deref(), Some(drivers.as_path()));
    assert_eq!(driver(&config, "backend").0, "render");
    let env_drivers = f.write("env-drivers.toml", "[backend]\ndriver = \"flyio\"\n");
    let config = f.ok(&[("PADDOCK_DRIVERS", "env-drivers.toml")]);
    assert_eq!(config.drivers_file.as_deref(), Some(env_drivers.as_path()));
    assert_eq!(driver(&config, "backend").0, "flyio");
}

#[test]
fn every_problem_is_reported_in_one_go() {
    let f = Fixture::new();
    f.write(
        "paddock.toml",
        "[server]\nlisten = \"nowhere\"\nport = 1\n[slots.db.settings]\nkey = \"${NEON_API_KEY}\"\n",
    );
    f.write("config/drivers.toml", "[databse]\ndriver = \"neon\"\n");
    // The well-formed rest of a file with an unknown key is still resolved.
    let err = f.load(&[("DATABASE_TYPE", "mysql")]).unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].ends_with("paddock.toml:3: unknown key `server.port`; valid keys here are: listen, plugins, data, drivers"), "{text}");
    assert!(
        lines[1].contains("drivers.toml:1: unknown key `databse`"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("invalid listen address `nowhere` from "),
        "{text}"
    );
    assert!(
        lines[2].ends_with("paddock.toml: server.listen: write ip:port, such as 127.0.0.1:7001, [::1]:7001 or localhost:7001"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("unsupported DATABASE_TYPE `mysql`"),
        "{text}"
    );
    assert_eq!(
        lines[4],
        "Missing required environment variables: NEON_API_KEY"
    );
    assert_eq!(err.missing_env(), ["NEON_API_KEY"]);
}

#[test]
fn a_toml_syntax_error_stops_only_that_file() {
    let f = Fixture::new();
    let path = f.write("paddock.toml", "[slots.db\ndriver = \"neon\"\n");
    let err = f.load(&[("DATABASE_TYPE", "mysql")]).unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("{}:1:", path.display())),
        "{text}"
    );
    assert!(lines[0].contains("invalid TOML"), "{text}");
    assert!(lines[1].starts_with("unsupported DATABASE_TYPE"), "{text}");
}

#[test]
fn api_tokens_come_from_the_file_and_the_environment() {
    let fx = Fixture::new();
    fx.write(
        "paddock.toml",
        r#"
[[api.tokens]]
name = "ci"
token = "${CI_TOKEN}"
slots = ["database"]
verbs = ["query", "migrate"]
"#,
    );
    let config = fx.ok(&[
        ("CI_TOKEN", "ci-token-0123456789abcdef"),
        ("PADDOCK_API_TOKEN", "admin-token-0123456789"),
    ]);
    let names: Vec<&str> = config.api_tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["PADDOCK_API_TOKEN", "ci"]);
    let ci = &config.api_tokens[1];
    assert!(ci.allows("db", "query"));
    assert!(!ci.allows("db", "drop-branch"));
    assert!(!ci.allows("storage", "query"));
    assert!(config.api_tokens[0].allows("storage", "put"));
    assert!(
        !format!("{ci:?}").contains("ci-token"),
        "Debug must not show the token"
    );
}

#[test]
fn a_network_listen_address_needs_tokens() {
    let fx = Fixture::new();
    let err = fx
        .load(&[("PADDOCK_LISTEN", "0.0.0.0:7001")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("0.0.0.0:7001") && err.contains("PADDOCK_API_TOKEN"),
        "{err}"
    );
    let config = fx.ok(&[
        ("PADDOCK_LISTEN", "0.0.0.0:7001"),
        ("PADDOCK_API_TOKEN", "admin-token-0123456789"),
    ]);
    assert_eq!(config.api_tokens.len(), 1);
}

#[test]
fn short_tokens_are_refused_without_showing_them() {
    let fx = Fixture::new();
    let err = fx
        .load(&[("PADDOCK_API_TOKEN", "short")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 16"), "{err}");
    assert!(!err.contains("short\""), "{err}");
}

#[test]
fn reveal_and_secret_hosts_name_granted_secrets() {
    let fx = Fixture::new();
    fx.write(
        "paddock.toml",
        r#"
[slots.db.grants]
secrets = ["A"]
reveal = ["A", "B"]
secret_hosts = { A = ["https://api.example.com"] }
"#,
    );
    let err = fx.load(&[]).unwrap_err().to_string();
    assert!(err.contains("secrets = [\"B\"]"), "{err}");
    fx.write(
        "paddock.toml",
        "[slots.db.grants]\nsecrets = [\"A\"]\nreveal = [\"A\"]\nsecret_hosts = { A = [\"https://api.example.com\"] }\n",
    );
    let config = fx.ok(&[]);
    let grants = &config.slot("db").unwrap().grants;
    assert_eq!(grants.reveal, ["A"]);
    assert_eq!(grants.secret_hosts["A"], ["https://api.example.com"]);
}

#[test]
fn a_sqlite_database_url_lends_its_folder() {
    let fx = Fixture::new();
    let config = fx.ok(&[("DATABASE_URL", "sqlite:./data/app.db")]);
    let db = config.slot("db").unwrap();
    assert_eq!(db.driver, "sqlite");
    let folder = db.grants.folder.as_ref().unwrap();
    assert_eq!(folder.path, fx.path().join("data"));
    assert_eq!(folder.access, FolderAccess::ReadWrite);
    assert_eq!(db.settings["path"], "app.db");
    // A folder granted in paddock.toml wins.
    fx.write(
        "paddock.toml",
        "[slots.db.grants]\nfolder = { path = \"elsewhere\", access = \"read-write\" }\n",
    );
    let config = fx.ok(&[("DATABASE_URL", "sqlite:./data/app.db")]);
    let db = config.slot("db").unwrap();
    assert_eq!(
        db.grants.folder.as_ref().unwrap().path,
        fx.path().join("elsewhere")
    );
    assert!(!db.settings.contains_key("path"));
}
