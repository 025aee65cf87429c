//! Slot names and the rules that pick a driver from the environment.

use crate::env::Environment;
use crate::error::{ConfigError, Issue};
use crate::model::DriverSource;

/// The slots that always exist, with their built-in drivers. With no config
/// and no credentials, `paddock serve` runs with exactly these.
///
/// Storage defaults to `local` (objects in the slot's folder) and db to
/// `sqlite` (a database file there). Until the `local` deploy driver lands,
/// the deploy slots default to the in-memory fake, so a fresh daemon serves
/// every verb with no vendor.
pub const BUILTIN_SLOTS: [(&str, &str); 4] = [
    ("db", "sqlite"),
    ("storage", "local"),
    ("frontend", "fake_frontend"),
    ("backend", "fake_backend"),
];

/// The slot a name refers to: `database` (garage-mcp's section, DhafnckMCP's
/// `/health/database`) is `db`; every other name is itself.
pub fn canonical_slot_name(name: &str) -> &str {
    if name == "database" { "db" } else { name }
}

/// The variable that chooses a slot's driver: the canonical slot name
/// uppercased, `-` turned into `_`, plus `_DRIVER` (`analytics-db` →
/// `ANALYTICS_DB_DRIVER`). The `db` slot also reads `DATABASE_DRIVER`.
///
/// These variables only choose drivers for slots that exist (the built-in
/// ones and those in `paddock.toml`); they never create a slot, so unrelated
/// `*_DRIVER` variables in the environment are not picked up.
pub fn env_var_for_slot(slot: &str) -> String {
    let mut var = canonical_slot_name(slot)
        .to_ascii_uppercase()
        .replace('-', "_");
    var.push_str("_DRIVER");
    var
}

/// Whether `name` is a valid slot or driver name: 1 to 63 characters of
/// `a-z`, `0-9`, `_` and `-`, starting with a letter.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// The driver named by `DATABASE_TYPE` (DhafnckMCP): `supabase`,
/// `postgresql`/`postgres` → `postgres`, `sqlite`. Case is ignored.
pub fn driver_for_database_type(value: &str) -> Result<&'static str, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "supabase" => Ok("supabase"),
        "postgresql" | "postgres" => Ok("postgres"),
        "sqlite" => Ok("sqlite"),
        _ => Err(Issue::DatabaseType {
            value: value.to_owned(),
        }
        .into()),
    }
}

/// The driver implied by a `DATABASE_URL`: `sqlite:` → `sqlite`,
/// `postgres://` or `postgresql://` → `postgres`. Scheme case is ignored.
pub fn driver_for_database_url(url: &str) -> Result<&'static str, ConfigError> {
    let scheme = url.split_once(':').map(|(s, _)| s).filter(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    match scheme.map(str::to_ascii_lowercase).as_deref() {
        Some("sqlite") => Ok("sqlite"),
        Some("postgres" | "postgresql") => Ok("postgres"),
        _ => Err(Issue::DatabaseUrl {
            scheme: scheme.map(str::to_owned),
        }
        .into()),
    }
}

/// `url` with its userinfo replaced by `***` and the values of query
/// parameters that look like credentials (`password=`, `token=`, ...) too.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return redact_query(url);
    };
    let (head, rest) = url.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    format!("{head}{authority}{}", redact_query(tail))
}

fn redact_query(text: &str) -> String {
    let Some((before, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    const SENSITIVE: [&str; 7] = [
        "pass",
        "secret",
        "token",
        "key",
        "auth",
        "credential",
        "sig",
    ];
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((k, _)) if SENSITIVE.iter().any(|s| k.to_ascii_lowercase().contains(s)) => {
                format!("{k}=***")
            }
            _ => param.to_owned(),
        })
        .collect();
    let mut out = format!("{before}?{}", params.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The built-in driver of a built-in slot.
pub(crate) fn builtin_driver(slot: &str) -> Option<&'static str> {
    BUILTIN_SLOTS
        .iter()
        .find(|(name, _)| *name == slot)
        .map(|(_, driver)| *driver)
}

/// Priority 1: `<SLOT>_DRIVER` (and `DATABASE_DRIVER` for `db`), if set and
/// not empty. Returns the value and the variable it came from.
pub(crate) fn env_driver<'e>(slot: &str, env: &'e Environment) -> Option<(&'e str, String)> {
    let mut vars = vec![env_var_for_slot(slot)];
    if slot == "db" {
        vars.push("DATABASE_DRIVER".to_owned());
    }
    vars.into_iter()
        .find_map(|var| env.non_empty(&var).map(|value| (value, var)))
}

/// Priority 2, for `db` only: `DATABASE_TYPE`, then `DATABASE_URL`.
/// Each is read only when consulted, so a `DATABASE_URL` of another scheme
/// is fine when `DB_DRIVER` or `DATABASE_TYPE` chooses the driver.
pub(crate) fn database_env_driver(
    env: &Environment,
) -> Result<Option<(&'static str, DriverSource)>, ConfigError> {
    if let Some(value) = env.non_empty("DATABASE_TYPE") {
        let driver = driver_for_database_type(value)?;
        return Ok(Some((
            driver,
            DriverSource::DatabaseType {
                value: value.to_owned(),
            },
        )));
    }
    if let Some(url) = env.non_empty("DATABASE_URL") {
        let driver = driver_for_database_url(url)?;
        return Ok(Some((
            driver,
            DriverSource::DatabaseUrl {
                redacted: redact_url(url),
            },
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_and_env_vars() {
        assert_eq!(canonical_slot_name("database"), "db");
        assert_eq!(canonical_slot_name("db"), "db");
        assert_eq!(canonical_slot_name("archive"), "archive");
        assert_eq!(env_var_for_slot("db"), "DB_DRIVER");
        assert_eq!(env_var_for_slot("database"), "DB_DRIVER");
        assert_eq!(env_var_for_slot("frontend"), "FRONTEND_DRIVER");
        assert_eq!(env_var_for_slot("analytics-db"), "ANALYTICS_DB_DRIVER");
        assert!(is_valid_name("fake_db"));
        assert!(is_valid_name("analytics-db"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("Neon"));
        assert!(!is_valid_name("../evil"));
    }

    #[test]
    fn database_type_values() {
        assert_eq!(driver_for_database_type("supabase"), Ok("supabase"));
        assert_eq!(driver_for_database_type("postgresql"), Ok("postgres"));
        assert_eq!(driver_for_database_type("Postgres"), Ok("postgres"));
        assert_eq!(driver_for_database_type("sqlite"), Ok("sqlite"));
        let err = driver_for_database_type("mysql").unwrap_err().to_string();
        assert!(
            err.contains("`mysql`") && err.contains("supabase, postgresql, postgres or sqlite"),
            "{err}"
        );
    }

    #[test]
    fn database_url_schemes() {
        assert_eq!(
            driver_for_database_url("sqlite:./data/pierre.db"),
            Ok("sqlite")
        );
        assert_eq!(driver_for_database_url("sqlite:///tmp/x.db"), Ok("sqlite"));
        assert_eq!(
            driver_for_database_url("postgres://u:p@h/db"),
            Ok("postgres")
        );
        assert_eq!(
            driver_for_database_url("postgresql://u:p@h:5432/db"),
            Ok("postgres")
        );
        assert_eq!(driver_for_database_url("POSTGRESQL://h/db"), Ok("postgres"));
        let err = driver_for_database_url("mysql://root:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unsupported DATABASE_URL scheme `mysql`"),
            "{err}"
        );
        assert!(
            err.contains("sqlite:, postgres:// and postgresql://"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let err = driver_for_database_url("./app.db").unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL has no scheme"), "{err}");
    }

    #[test]
    fn redaction_hides_credentials() {
        assert_eq!(
            redact_url(
                "postgresql://user:hunter2@db.example.com:5432/app?sslmode=require&password=x"
            ),
            "postgresql://***@db.example.com:5432/app?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("sqlite:./app.db"), "sqlite:./app.db");
        assert_eq!(redact_url("postgres://a:b@c@h"), "postgres://***@h");
    }
}
