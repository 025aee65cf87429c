//! `neon`: Neon serverless Postgres through the Neon API v2
//! (`neon-v2.json`): the project's health, its branches (list, create from
//! a parent, delete) and where to connect to a branch.
//!
//! # What is unsupported, and why
//!
//! The SQL verbs (`query`, `execute`, `migrate`, `list-tables`,
//! `create-table`, `read-rows`, `write-rows`) answer `unsupported`. The Neon
//! API v2 describes no way to run SQL: Neon's serverless "SQL over HTTP"
//! endpoint (`https://<endpoint host>/sql`) is not part of `neon-v2.json`
//! (nor of any description paddock keeps), so this driver does not invent
//! it. SQL goes over the Postgres protocol instead: a second slot with the
//! `postgres` driver pointed at the branch's host, which `health` reports
//! as `postgres_url` (without the password: the driver never asks Neon for
//! it, `getConnectionURI` would hand it over in plain text).
//!
//! # Security
//!
//! The API key is the secret `NEON_API_KEY`; requests carry
//! `Authorization: Bearer {{secret:NEON_API_KEY}}` and the host fills it in.

mod api;

use paddock_sdk::db::*;

use crate::api::{Config, NeonBranch, Transport, WasiHttp};

struct NeonDb;

fn sql_unsupported(verb: &str) -> Error {
    Error::unsupported(format!(
        "neon: `{verb}` is not available: the Neon API v2 has no SQL endpoint (Neon's SQL over \
         HTTP is not in the API description paddock follows). Run SQL through a slot with the \
         `postgres` driver and the branch's connection URI: `health` reports it as \
         `postgres_url` (add the role's password, e.g. from Neon's console, in that slot's \
         settings)"
    ))
}

/// The WIT branch of a Neon branch; `parent` is the parent's name when it is
/// among `all`, its id otherwise.
fn to_branch(b: &NeonBranch, all: &[NeonBranch]) -> Branch {
    Branch {
        id: b.id.clone(),
        name: b.name.clone(),
        parent: b.parent_id.as_ref().map(|p| {
            all.iter()
                .find(|x| &x.id == p)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| p.clone())
        }),
        created_at: b.created_at.clone(),
        primary: b.is_default(),
    }
}

/// The branch named `key` (by name first, then by id).
fn find<'a>(all: &'a [NeonBranch], key: &str) -> Option<&'a NeonBranch> {
    all.iter()
        .find(|b| b.name == key)
        .or_else(|| all.iter().find(|b| b.id == key))
}

fn list_branches(t: &dyn Transport, c: &Config) -> Result<Vec<Branch>> {
    let all = api::list_branches(t, c)?;
    Ok(all.iter().map(|b| to_branch(b, &all)).collect())
}

fn create_branch(
    t: &dyn Transport,
    c: &Config,
    name: &str,
    parent: Option<&str>,
) -> Result<Branch> {
    if name.trim().is_empty() {
        return Err(Error::invalid_input("a branch needs a name"));
    }
    let all = api::list_branches(t, c)?;
    if all.iter().any(|b| b.name == name) {
        return Err(Error::already_exists(format!(
            "neon: project {} already has a branch named '{name}'",
            c.project_id
        )));
    }
    let parent_id = match parent {
        None => None,
        Some(p) => Some(
            find(&all, p)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "neon: parent branch '{p}' is not a branch of project {}",
                        c.project_id
                    ))
                })?
                .id
                .clone(),
        ),
    };
    let created = api::create_branch(t, c, name, parent_id.as_deref())?;
    let mut all = all;
    all.push(created.clone());
    Ok(to_branch(&created, &all))
}

fn delete_branch(t: &dyn Transport, c: &Config, name: &str) -> Result<()> {
    let all = api::list_branches(t, c)?;
    let b = find(&all, name).ok_or_else(|| {
        Error::not_found(format!(
            "neon: project {} has no branch named '{name}'",
            c.project_id
        ))
    })?;
    if b.is_default() {
        return Err(Error::conflict(format!(
            "neon: '{name}' is the project's default branch; make another branch the default first"
        )));
    }
    api::delete_branch(t, c, &b.id)
}

/// `postgresql://role@host/database?sslmode=require`: the branch's
/// read-write endpoint, without a password.
fn postgres_url(c: &Config, host: &str) -> String {
    format!(
        "postgresql://{}@{host}/{}?sslmode=require",
        paddock_sdk::http::percent_encode(&c.role, false),
        paddock_sdk::http::percent_encode(&c.database, false)
    )
}

fn health(t: &dyn Transport, c: &Config) -> Result<HealthReport> {
    let project = api::get_project(t, c)?;
    let pg_version = match &project.pg_version {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let mut details = vec![
        ("project_id".to_owned(), project.id.clone()),
        ("project_name".to_owned(), project.name.clone()),
        ("region".to_owned(), project.region_id.clone()),
        ("pg_version".to_owned(), pg_version),
        ("api_url".to_owned(), c.api_url.clone()),
    ];
    // Where to connect: best effort, the project answered already.
    let branches = api::list_branches(t, c)?;
    let branch = match &c.branch {
        Some(key) => find(&branches, key),
        None => branches.iter().find(|b| b.is_default()),
    };
    if let Some(b) = branch {
        details.push(("branch".to_owned(), b.name.clone()));
        details.push(("branch_id".to_owned(), b.id.clone()));
        let endpoints = api::list_endpoints(t, c, &b.id)?;
        if let Some(e) = endpoints
            .iter()
            .find(|e| e.kind == "read_write")
            .or(endpoints.first())
        {
            details.push(("endpoint_id".to_owned(), e.id.clone()));
            details.push(("postgres_url".to_owned(), postgres_url(c, &e.host)));
        }
    } else if let Some(key) = &c.branch {
        return Err(Error::not_found(format!(
            "neon: the branch setting names '{key}', which is not a branch of project {}",
            c.project_id
        )));
    }
    Ok(HealthReport {
        healthy: true,
        message: Some(format!(
            "neon project {} ({}) reachable",
            project.name, project.id
        )),
        details,
    })
}

impl Driver for NeonDb {
    fn describe() -> Manifest {
        Manifest {
            name: "neon".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Db,
            description: "Neon serverless Postgres through the Neon API v2: health, branches \
                (list, create from a parent, delete) and the branch's connection URI (in \
                `health`). SQL verbs are unsupported: the Neon API v2 has no SQL endpoint; use \
                the postgres driver with the reported URI. The API key is the secret \
                NEON_API_KEY, which the slot must grant with the origin \
                https://console.neon.tech (or a local fake's http://127.0.0.1:PORT)."
                .into(),
            settings: api::declared(),
            capabilities: Capabilities::none()
                .with_http([
                    "https://console.neon.tech",
                    "http://127.0.0.1:*",
                    "http://localhost:*",
                ])
                .with_secrets([api::API_KEY_SECRET]),
            concurrency: Concurrency::Parallel,
        }
    }

    fn health() -> Result<HealthReport> {
        health(&WasiHttp, &Config::load()?)
    }
    fn query(_sql: String, _params: Vec<Value>) -> Result<RowSet> {
        Err(sql_unsupported("query"))
    }
    fn execute(_sql: String, _params: Vec<Value>) -> Result<ExecuteResult> {
        Err(sql_unsupported("execute"))
    }
    fn migrate(_migrations: Vec<Migration>, _options: MigrateOptions) -> Result<MigrateReport> {
        Err(sql_unsupported("migrate"))
    }
    fn list_branches() -> Result<Vec<Branch>> {
        list_branches(&WasiHttp, &Config::load()?)
    }
    fn create_branch(name: String, parent: Option<String>) -> Result<Branch> {
        create_branch(&WasiHttp, &Config::load()?, &name, parent.as_deref())
    }
    fn delete_branch(name: String) -> Result<()> {
        delete_branch(&WasiHttp, &Config::load()?, &name)
    }
    fn list_tables() -> Result<Vec<TableInfo>> {
        Err(sql_unsupported("list-tables"))
    }
    fn create_table(_table: TableInfo) -> Result<()> {
        Err(sql_unsupported("create-table"))
    }
    fn read_rows(
        _table: String,
        _columns: Option<Vec<String>>,
        _cursor: Option<String>,
        _limit: Option<u32>,
    ) -> Result<RowBatch> {
        Err(sql_unsupported("read-rows"))
    }
    fn write_rows(
        _table: String,
        _columns: Vec<String>,
        _rows: Vec<Vec<Value>>,
        _mode: WriteMode,
        _key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        Err(sql_unsupported("write-rows"))
    }
}

export_db_driver!(NeonDb);

#[cfg(test)]
mod tests;
