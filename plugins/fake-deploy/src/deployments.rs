//! Deployments: created queued, advanced by each `get`, made production
//! when a production build is ready, by `promote`, or back by `rollback`.

use paddock_sdk::deploy::{CreateRequest, Deployment, DeploymentPage, LogPage};
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::logs;
use crate::machine::State;
use crate::names::check_project;
use crate::{env, source};

pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;
const COUNTER: &str = "n/deploy";

/// What a call needs besides the store: the time and the URL suffix setting.
pub struct Ctx<'a> {
    pub now_ms: u64,
    pub url_suffix: &'a str,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub project: String,
    pub state: State,
    pub created_at: String,
    pub updated_at: String,
    /// Asked to become production when ready.
    pub production: bool,
    pub message: Option<String>,
    /// The build will fail (`FAKE_FAIL=1` in its environment).
    pub fail: bool,
    pub log_lines: u32,
}

/// A project's production deployment and the ones that were production
/// before it (oldest first), as deployment numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Project {
    pub production: Option<u64>,
    pub history: Vec<u64>,
}

fn id(n: u64) -> String {
    format!("dpl_{n}")
}

fn number(id: &str) -> Option<u64> {
    id.strip_prefix("dpl_")?.parse().ok()
}

fn load(store: &dyn Store, id: &str) -> Result<(u64, Record)> {
    let missing = || {
        Error::not_found(format!(
            "deployment '{id}' does not exist (ids look like dpl_1)"
        ))
    };
    let n = number(id).ok_or_else(missing)?;
    let rec = layout::load(store, &layout::deployment_key(n))?.ok_or_else(missing)?;
    Ok((n, rec))
}

fn save(store: &mut dyn Store, n: u64, rec: &Record) {
    layout::save(store, &layout::deployment_key(n), rec);
}

fn log(store: &mut dyn Store, n: u64, rec: &mut Record, now_ms: u64, msg: impl Into<String>) {
    logs::append(store, n, rec.log_lines, now_ms, msg);
    rec.log_lines += 1;
}

fn project(store: &dyn Store, name: &str) -> Result<Project> {
    Ok(layout::load(store, &layout::project_key(name))?.unwrap_or_default())
}

/// The record as the WIT shows it. `production` is true for the project's
/// live production deployment, and for a production build still on its way.
fn view(store: &dyn Store, n: u64, rec: &Record, ctx: &Ctx) -> Result<Deployment> {
    let live = project(store, &rec.project)?.production == Some(n);
    Ok(Deployment {
        id: id(n),
        project: rec.project.clone(),
        state: rec.state.into(),
        url: (rec.state == State::Ready)
            .then(|| format!("https://{}-dpl-{n}.{}", rec.project, ctx.url_suffix)),
        created_at: rec.created_at.clone(),
        updated_at: rec.updated_at.clone(),
        vendor_id: None,
        production: live || (rec.production && rec.state.cancelable()),
        message: rec.message.clone(),
    })
}

/// Makes deployment `n` the production one; the one it replaces is kept
/// for `rollback`.
fn make_production(
    store: &mut dyn Store,
    n: u64,
    rec: &mut Record,
    now_ms: u64,
    why: &str,
) -> Result<()> {
    let mut p = project(store, &rec.project)?;
    p.history.retain(|&h| h != n);
    if let Some(old) = p.production.filter(|&old| old != n) {
        p.history.push(old);
    }
    p.production = Some(n);
    layout::save(store, &layout::project_key(&rec.project), &p);
    log(
        store,
        n,
        rec,
        now_ms,
        format!("now the production deployment of {} ({why})", rec.project),
    );
    Ok(())
}

pub fn create(store: &mut dyn Store, req: CreateRequest, ctx: &Ctx) -> Result<Deployment> {
    check_project(&req.project)?;
    let source = source::describe(&req.source)?;
    env::check_vars(req.env.iter().map(|(n, _)| n.as_str()))?;
    if req.labels.iter().any(|(k, _)| k.is_empty()) {
        return Err(Error::invalid_input("label names must not be empty"));
    }
    // The request's variables override the project's, as at real vendors.
    let fail = match req.env.iter().find(|(n, _)| n == "FAKE_FAIL") {
        Some((_, v)) => v == "1",
        None => env::values(store, &req.project)?
            .get("FAKE_FAIL")
            .is_some_and(|v| v == "1"),
    };
    let n = count(store) + 1;
    store.set(COUNTER, n.to_string().as_bytes());
    let now = rfc3339(ctx.now_ms);
    let mut rec = Record {
        project: req.project.clone(),
        state: State::Queued,
        created_at: now.clone(),
        updated_at: now,
        production: req.production,
        message: None,
        fail,
        log_lines: 0,
    };
    let target = if req.production {
        "production"
    } else {
        "preview"
    };
    log(
        store,
        n,
        &mut rec,
        ctx.now_ms,
        format!("{} of project {} queued ({target})", id(n), req.project),
    );
    log(store, n, &mut rec, ctx.now_ms, source);
    if !req.env.is_empty() {
        let names: Vec<&str> = req.env.iter().map(|(n, _)| n.as_str()).collect();
        log(
            store,
            n,
            &mut rec,
            ctx.now_ms,
            format!("env: {} (values not logged)", names.join(", ")),
        );
    }
    if !req.labels.is_empty() {
        let labels: Vec<String> = req.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        log(
            store,
            n,
            &mut rec,
            ctx.now_ms,
            format!("labels: {}", labels.join(", ")),
        );
    }
    save(store, n, &rec);
    store.set(
        &format!("{}{}", layout::project_index(&req.project), layout::rev(n)),
        b"",
    );
    view(store, n, &rec, ctx)
}

/// The deployment, one build step further along than last time.
pub fn get(store: &mut dyn Store, id: &str, ctx: &Ctx) -> Result<Deployment> {
    let (n, mut rec) = load(store, id)?;
    if let Some((next, line)) = rec.state.advance(rec.fail) {
        rec.state = next;
        rec.updated_at = rfc3339(ctx.now_ms);
        log(store, n, &mut rec, ctx.now_ms, line);
        match next {
            State::Error => rec.message = Some(line.to_owned()),
            State::Ready if rec.production => {
                make_production(store, n, &mut rec, ctx.now_ms, "production build ready")?
            }
            _ => {}
        }
        save(store, n, &rec);
    }
    view(store, n, &rec, ctx)
}

pub fn list(
    store: &dyn Store,
    project: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
    ctx: &Ctx,
) -> Result<DeploymentPage> {
    let limit = match limit.unwrap_or(DEFAULT_PAGE) {
        0 => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        l => l.min(MAX_PAGE),
    };
    let prefix = match &project {
        Some(p) => {
            check_project(p)?;
            layout::project_index(p)
        }
        None => "d/".to_owned(),
    };
    let after = cursor
        .map(|c| {
            number(&c)
                .map(|n| format!("{prefix}{}", layout::rev(n)))
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "cursor '{c}' was not returned by list; pass back next-cursor unchanged"
                    ))
                })
        })
        .transpose()?;
    let mut keys = store.keys(&prefix, after.as_deref(), limit + 1);
    let more = keys.len() > limit as usize;
    keys.truncate(limit as usize);
    let mut deployments = Vec::with_capacity(keys.len());
    for key in &keys {
        let rev: u64 = key[prefix.len()..]
            .parse()
            .map_err(|_| Error::vendor("corrupt-state", format!("bad key '{key}'")))?;
        let (n, rec) = load(store, &id(u64::MAX - rev))?;
        deployments.push(view(store, n, &rec, ctx)?);
    }
    let next_cursor = if more {
        deployments.last().map(|d| d.id.clone())
    } else {
        None
    };
    Ok(DeploymentPage {
        deployments,
        next_cursor,
    })
}

pub fn cancel(store: &mut dyn Store, id: &str, ctx: &Ctx) -> Result<Deployment> {
    let (n, mut rec) = load(store, id)?;
    if !rec.state.cancelable() {
        return Err(Error::conflict(format!(
            "deployment {id} is {}; only queued or building deployments can be canceled",
            rec.state.name()
        )));
    }
    rec.state = State::Canceled;
    rec.updated_at = rfc3339(ctx.now_ms);
    rec.message = Some("canceled by request".into());
    log(store, n, &mut rec, ctx.now_ms, "canceled by request");
    save(store, n, &rec);
    view(store, n, &rec, ctx)
}

pub fn promote(store: &mut dyn Store, id: &str, ctx: &Ctx) -> Result<Deployment> {
    let (n, mut rec) = load(store, id)?;
    if rec.state != State::Ready {
        return Err(Error::conflict(format!(
            "deployment {id} is {}, not ready; only a ready deployment can be promoted",
            rec.state.name()
        )));
    }
    if project(store, &rec.project)?.production != Some(n) {
        make_production(store, n, &mut rec, ctx.now_ms, "promoted")?;
        save(store, n, &rec);
    }
    view(store, n, &rec, ctx)
}

/// With `to`: makes that ready deployment production, like `promote` (so
/// it can be rolled back in turn). Without: goes back to the production
/// deployment before the current one, forgetting the current one, so each
/// further rollback goes further back in time.
pub fn rollback(
    store: &mut dyn Store,
    project_name: &str,
    to: Option<String>,
    ctx: &Ctx,
) -> Result<Deployment> {
    check_project(project_name)?;
    if store
        .keys(&layout::project_index(project_name), None, 1)
        .is_empty()
    {
        return Err(Error::not_found(format!(
            "project '{project_name}' has no deployments"
        )));
    }
    let mut p = project(store, project_name)?;
    let from = p.production.map_or("none".to_owned(), id);
    let Some(to) = to else {
        let n = p.history.pop().ok_or_else(|| {
            Error::conflict(format!(
                "project '{project_name}' has no earlier production deployment to roll back to"
            ))
        })?;
        let (_, mut rec) = load(store, &id(n))?;
        p.production = Some(n);
        layout::save(store, &layout::project_key(project_name), &p);
        log(
            store,
            n,
            &mut rec,
            ctx.now_ms,
            format!("production again by rollback from {from}"),
        );
        save(store, n, &rec);
        return view(store, n, &rec, ctx);
    };
    let (n, mut rec) = load(store, &to)?;
    if rec.project != project_name {
        return Err(Error::invalid_input(format!(
            "deployment {to} belongs to project '{}', not '{project_name}'",
            rec.project
        )));
    }
    if rec.state != State::Ready {
        return Err(Error::conflict(format!(
            "deployment {to} is {}; only a ready deployment can serve production",
            rec.state.name()
        )));
    }
    if p.production != Some(n) {
        make_production(
            store,
            n,
            &mut rec,
            ctx.now_ms,
            &format!("rollback from {from}"),
        )?;
        save(store, n, &rec);
    }
    view(store, n, &rec, ctx)
}

pub fn logs(
    store: &dyn Store,
    id: &str,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<LogPage> {
    let (n, _) = load(store, id)?;
    logs::page(store, n, id, cursor, limit)
}

/// How many deployments were ever created.
pub fn count(store: &dyn Store) -> u64 {
    store
        .get(COUNTER)
        .and_then(|v| String::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
