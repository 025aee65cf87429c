//! `supabase`: a Supabase project's Postgres through the Supabase
//! Management API v1 (`supabase-mgmt-openapi.json`).
//!
//! - `query` and `execute`: `v1-run-a-query`; `query` sends
//!   `read_only: true`, so the database, not the driver, refuses writes
//!   (they fail with `access-denied`). Parameters are `$1`, `$2`…
//! - `migrate`: module `migrate` (a version table over the query endpoint).
//! - Branches: `v1-list-all-branches`, `v1-create-a-branch` (Supabase
//!   branches always start from the project: a `parent` other than the
//!   default branch is `unsupported`), `v1-delete-a-branch`.
//! - `health`: `v1-get-project` (healthy when `ACTIVE_HEALTHY`).
//!
//! Limits that come from the API: answers carry rows but no column types
//! (types are read from the values, see `value`) and no command tag, so
//! `execute` reports as `rows-affected` the number of rows the statement
//! returned (0 for an `UPDATE` without `RETURNING`).
//!
//! `list-tables`, `create-table`, `read-rows` and `write-rows` are not
//! written yet and answer `unsupported` (use the `postgres` driver against
//! the project's database for copies).

mod api;
mod migrate;
mod value;

use paddock_sdk::db::*;

use crate::api::{Config, SupabaseBranch, Transport, WasiHttp};

struct SupabaseDb;

fn run(
    t: &dyn Transport,
    c: &Config,
    sql: &str,
    params: &[Value],
    read_only: bool,
) -> Result<Vec<api::Row>> {
    let params: Vec<_> = params.iter().map(value::to_param).collect();
    api::run_query(t, c, sql, &params, read_only)
}

fn query(t: &dyn Transport, c: &Config, sql: &str, params: &[Value]) -> Result<RowSet> {
    let answer = run(t, c, sql, params, true)?;
    let (columns, rows) = value::rows(&answer);
    Ok(RowSet {
        columns,
        rows_read: rows.len() as u64,
        rows,
    })
}

fn execute(t: &dyn Transport, c: &Config, sql: &str, params: &[Value]) -> Result<ExecuteResult> {
    let answer = run(t, c, sql, params, false)?;
    Ok(ExecuteResult {
        rows_affected: answer.len() as u64,
    })
}

fn to_branch(b: &SupabaseBranch, all: &[SupabaseBranch]) -> Branch {
    let parent = (b.parent_project_ref != b.project_ref).then(|| {
        all.iter()
            .find(|x| x.project_ref == b.parent_project_ref)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| b.parent_project_ref.clone())
    });
    Branch {
        id: b.project_ref.clone(),
        name: b.name.clone(),
        parent,
        created_at: b.created_at.clone(),
        primary: b.is_default,
    }
}

fn find<'a>(all: &'a [SupabaseBranch], key: &str) -> Option<&'a SupabaseBranch> {
    all.iter()
        .find(|b| b.name == key)
        .or_else(|| all.iter().find(|b| b.project_ref == key || b.id == key))
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
            "supabase: project {} already has a branch named '{name}'",
            c.project_ref
        )));
    }
    if let Some(p) = parent {
        let is_main = p == c.project_ref || find(&all, p).is_some_and(|b| b.is_default);
        if !is_main {
            return Err(Error::unsupported(format!(
                "supabase: branches are always created from the project's default branch; \
                 '{p}' is not it (omit `parent`)"
            )));
        }
    }
    let created = api::create_branch(t, c, name)?;
    let mut all = all;
    all.push(created.clone());
    Ok(to_branch(&created, &all))
}

fn delete_branch(t: &dyn Transport, c: &Config, name: &str) -> Result<()> {
    let all = api::list_branches(t, c)?;
    let b = find(&all, name).ok_or_else(|| {
        Error::not_found(format!(
            "supabase: project {} has no branch named '{name}'",
            c.project_ref
        ))
    })?;
    if b.is_default {
        return Err(Error::conflict(format!(
            "supabase: '{name}' is the project's default branch and cannot be deleted"
        )));
    }
    api::delete_branch(t, c, &b.project_ref)
}

fn health(t: &dyn Transport, c: &Config) -> Result<HealthReport> {
    let p = api::get_project(t, c)?;
    let mut details = vec![
        ("project_ref".to_owned(), p.project_ref.clone()),
        ("project_name".to_owned(), p.name.clone()),
        ("region".to_owned(), p.region.clone()),
        ("status".to_owned(), p.status.clone()),
        ("project_url".to_owned(), c.project_url.clone()),
        ("api_url".to_owned(), c.api_url.clone()),
    ];
    if let Some(db) = &p.database {
        if let Some(h) = &db.host {
            details.push(("database_host".to_owned(), h.clone()));
        }
        if let Some(v) = &db.version {
            details.push(("postgres_version".to_owned(), v.clone()));
        }
    }
    let healthy = p.status == "ACTIVE_HEALTHY";
    Ok(HealthReport {
        healthy,
        message: Some(format!(
            "supabase project {} ({}) is {}",
            p.name, p.project_ref, p.status
        )),
        details,
    })
}

fn not_written(verb: &str) -> Error {
    Error::unsupported(format!(
        "supabase: `{verb}` is not implemented by this driver yet; use `query`/`execute`, or \
         the `postgres` driver against the project's database"
    ))
}

impl Driver for SupabaseDb {
    fn describe() -> Manifest {
        Manifest {
            name: "supabase".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Db,
            description: "Supabase Postgres through the Supabase Management API: query \
                (read-only, enforced by the database), execute, migrate (version table with \
                checksums) and branches. Requests are authorized with the secret named by \
                `token_secret` (SUPABASE_SERVICE_KEY by default; the Management API takes a \
                personal access token or OAuth token), which the slot must grant together with \
                the origin https://api.supabase.com."
                .into(),
            settings: api::declared(),
            capabilities: Capabilities::none()
                .with_http([
                    "https://api.supabase.com",
                    "http://127.0.0.1:*",
                    "http://localhost:*",
                ])
                .with_secrets([api::SERVICE_KEY_SECRET, api::ACCESS_TOKEN_SECRET]),
            concurrency: Concurrency::Parallel,
        }
    }

    fn health() -> Result<HealthReport> {
        health(&WasiHttp, &Config::load()?)
    }
    fn query(sql: String, params: Vec<Value>) -> Result<RowSet> {
        query(&WasiHttp, &Config::load()?, &sql, &params)
    }
    fn execute(sql: String, params: Vec<Value>) -> Result<ExecuteResult> {
        execute(&WasiHttp, &Config::load()?, &sql, &params)
    }
    fn migrate(migrations: Vec<Migration>, options: MigrateOptions) -> Result<MigrateReport> {
        migrate::migrate(&WasiHttp, &Config::load()?, migrations, options)
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
        Err(not_written("list-tables"))
    }
    fn create_table(_table: TableInfo) -> Result<()> {
        Err(not_written("create-table"))
    }
    fn read_rows(
        _table: String,
        _columns: Option<Vec<String>>,
        _cursor: Option<String>,
        _limit: Option<u32>,
    ) -> Result<RowBatch> {
        Err(not_written("read-rows"))
    }
    fn write_rows(
        _table: String,
        _columns: Vec<String>,
        _rows: Vec<Vec<Value>>,
        _mode: WriteMode,
        _key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        Err(not_written("write-rows"))
    }
}

export_db_driver!(SupabaseDb);

#[cfg(test)]
mod tests;
