//! `postgres` (alias `postgresql`): PostgreSQL over the wire protocol, from
//! inside the component, on the TCP connection the slot grants.
//!
//! Every call connects afresh (the host makes a fresh instance per call),
//! runs its statements and closes. Messages are encoded and decoded by
//! `postgres-protocol` (module `wire`); authentication is cleartext, md5 or
//! SCRAM-SHA-256 (no channel binding: there is no TLS). Where to connect
//! and the password: module `config`. The database serves concurrent calls
//! itself, so the driver is `parallel`.
//!
//! # Grants an operator gives
//!
//! ```toml
//! [slots.db.grants]
//! tcp = ["db.internal:5432"]         # a loopback address only by name: "127.0.0.1:5432"
//! secrets = ["PGPASSWORD"]           # when the password is not in DATABASE_URL
//! reveal = ["PGPASSWORD"]            # SCRAM and md5 compute with the value itself
//! ```
//!
//! # Verbs
//!
//! - `query` runs in a `READ ONLY` transaction that is rolled back: the
//!   database refuses writes (SQLSTATE 25006, `access-denied`); `execute`
//!   runs one statement in its own transaction. Parameters and values:
//!   modules `sql` and `value`. Errors by SQLSTATE: `error`.
//! - `migrate`: module `migrate`. `list-tables`, `create-table`: `tables`.
//!   `read-rows`, `write-rows`: `rows`.
//! - Branches are `unsupported`: plain PostgreSQL has none (`CREATE
//!   DATABASE … TEMPLATE …` through `execute` makes a copy).

mod config;
mod error;
mod migrate;
mod rows;
mod sql;
mod tables;
mod value;
mod wire;

use std::net::TcpStream;

use paddock_sdk::db::*;

use crate::config::{ConnectParams, PASSWORD_SECRET};
use crate::error::within;

/// A session with the slot's database.
pub type Db = wire::Conn<TcpStream>;

struct PostgresDb;

fn settings() -> config::Settings {
    use paddock_sdk::settings::get;
    config::Settings {
        url: get("url"),
        host: get("host"),
        port: get("port"),
        user: get("user"),
        database: get("database"),
    }
}

fn connect_error(p: &ConnectParams, e: std::io::Error) -> Error {
    let addr = p.address();
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::access_denied(format!(
            "TCP to {addr} is not granted to this slot: grant it with [slots.<slot>.grants] \
             tcp = [\"{addr}\"] ({e})"
        )),
        std::io::ErrorKind::ConnectionRefused => Error::unavailable(
            format!("nothing accepts connections at {addr}: is PostgreSQL running there? ({e})"),
            Some(1000),
        ),
        _ => Error::unavailable(format!("cannot connect to {addr}: {e}"), Some(1000)),
    }
}

/// The password when the server asks for one (see `config`).
fn password(p: &ConnectParams) -> Result<String> {
    if let Some(pw) = &p.password {
        return Ok(pw.clone());
    }
    paddock_sdk::secrets::reveal(PASSWORD_SECRET).map_err(|e| {
        Error::access_denied(format!(
            "PostgreSQL asks {} for a password and none is configured: put it in the url \
             (postgres://user:PASSWORD@host/db) or lend the secret {PASSWORD_SECRET} ({})",
            p.target(),
            e.message()
        ))
    })
}

fn connect() -> Result<(Db, ConnectParams)> {
    let p = config::resolve(&settings())?;
    let stream = TcpStream::connect(p.address()).map_err(|e| connect_error(&p, e))?;
    let _ = stream.set_nodelay(true);
    let db = Db::start(stream, &p, &|| password(&p))
        .map_err(|e| within(e, &format!("connecting to {}", p.target())))?;
    Ok((db, p))
}

/// Connects, runs `f`, closes.
fn with_db<T>(f: impl FnOnce(&mut Db) -> Result<T>) -> Result<T> {
    let (mut db, _) = connect()?;
    let out = f(&mut db);
    db.close();
    out
}

fn no_branches() -> Error {
    Error::unsupported(
        "PostgreSQL has no database branches; copy a database with execute \
         (\"CREATE DATABASE copy TEMPLATE app\") and serve it from another slot",
    )
}

/// What `health` reports about a reachable server.
fn facts(db: &mut Db, p: &ConnectParams) -> Result<Vec<(String, String)>> {
    let out = db.exec(
        "SELECT current_database(), current_user, current_schema(), \
         pg_database_size(current_database())::text",
        &[],
    )?;
    let row = out.rows.first().cloned().unwrap_or_default();
    let cell = |i: usize| {
        row.get(i)
            .and_then(|v| v.as_deref())
            .map(wire::text)
            .unwrap_or_default()
    };
    let tables = tables::list(db)?.len();
    let version = migrate::applied(db)?
        .keys()
        .last()
        .map_or("none".to_owned(), u64::to_string);
    Ok(vec![
        ("server".into(), p.address()),
        ("server_version".into(), db.server_version.clone()),
        ("database".into(), cell(0)),
        ("user".into(), cell(1)),
        ("schema".into(), cell(2)),
        ("size_bytes".into(), cell(3)),
        ("tables".into(), tables.to_string()),
        ("migration_version".into(), version),
    ])
}

impl Driver for PostgresDb {
    fn describe() -> Manifest {
        let setting = |name: &str, env: &str, description: &str| Setting {
            name: name.into(),
            description: description.into(),
            required: false,
            env: Some(env.into()),
            default_value: None,
            schema: None,
        };
        Manifest {
            name: "postgres".into(),
            aliases: vec!["postgresql".into()],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Db,
            description: "PostgreSQL over its wire protocol on the TCP connection the slot \
                          grants (no TLS: loopback or a trusted network). query runs in a \
                          read-only transaction (enforced by PostgreSQL), execute runs one \
                          statement, migrate applies each migration in its own transaction with \
                          checksums in _paddock_migrations. Password: in the url, or the secret \
                          PGPASSWORD granted with reveal. No branches."
                .into(),
            settings: vec![
                setting(
                    "url",
                    "DATABASE_URL",
                    "postgres://user[:password]@host[:port]/database[?sslmode=disable]; the db \
                     slot gets DATABASE_URL. sslmode=require is refused (no TLS)",
                ),
                setting(
                    "host",
                    "PGHOST",
                    "The server's host name or address; wins over the url's",
                ),
                setting(
                    "port",
                    "PGPORT",
                    "The server's port (default 5432); wins over the url's",
                ),
                setting(
                    "user",
                    "PGUSER",
                    "The user to log in as (default postgres); wins over the url's",
                ),
                setting(
                    "database",
                    "PGDATABASE",
                    "The database (default: the user's name); wins over the url's",
                ),
            ],
            capabilities: Capabilities::none()
                .with_tcp(["*:*"])
                .with_secrets([PASSWORD_SECRET]),
            concurrency: Concurrency::Parallel,
        }
    }

    fn health() -> Result<HealthReport> {
        let p = config::resolve(&settings())?;
        let report = connect().and_then(|(mut db, p)| {
            let out = facts(&mut db, &p);
            db.close();
            out
        });
        Ok(match report {
            Ok(details) => HealthReport {
                healthy: true,
                message: Some(format!("PostgreSQL {} at {}", details[1].1, p.target())),
                details,
            },
            Err(e) => HealthReport {
                healthy: false,
                message: Some(format!("{}: {}", e.kind(), e.message())),
                details: vec![("server".into(), p.address())],
            },
        })
    }

    fn query(sql: String, params: Vec<Value>) -> Result<RowSet> {
        with_db(|db| sql::query(db, &sql, params))
    }

    fn execute(sql: String, params: Vec<Value>) -> Result<ExecuteResult> {
        let rows_affected = with_db(|db| sql::execute(db, &sql, params))?;
        Ok(ExecuteResult { rows_affected })
    }

    fn migrate(migrations: Vec<Migration>, options: MigrateOptions) -> Result<MigrateReport> {
        with_db(|db| migrate::migrate(db, migrations, options))
    }

    fn list_branches() -> Result<Vec<Branch>> {
        Err(no_branches())
    }

    fn create_branch(_name: String, _parent: Option<String>) -> Result<Branch> {
        Err(no_branches())
    }

    fn delete_branch(_name: String) -> Result<()> {
        Err(no_branches())
    }

    fn list_tables() -> Result<Vec<TableInfo>> {
        with_db(|db| Ok(tables::list(db)?.iter().map(tables::Table::info).collect()))
    }

    fn create_table(info: TableInfo) -> Result<()> {
        with_db(|db| tables::create(db, &info))
    }

    fn read_rows(
        table: String,
        columns: Option<Vec<String>>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<RowBatch> {
        with_db(|db| rows::read(db, &table, columns, cursor, limit))
    }

    fn write_rows(
        table: String,
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
        mode: WriteMode,
        key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        let rows_written = with_db(|db| rows::write(db, &table, columns, rows, mode, key_columns))?;
        Ok(WriteResult { rows_written })
    }
}

export_db_driver!(PostgresDb);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest() {
        let m = PostgresDb::describe();
        assert_eq!(
            (m.name.as_str(), m.aliases.as_slice(), m.concurrency),
            (
                "postgres",
                ["postgresql".to_owned()].as_slice(),
                Concurrency::Parallel
            )
        );
        assert_eq!(m.capabilities.tcp, ["*:*"]);
        assert_eq!(m.capabilities.secrets, [PASSWORD_SECRET]);
        assert!(m.capabilities.folder.is_none() && !m.capabilities.state);
        assert_eq!(no_branches().kind(), "unsupported");
    }
}
