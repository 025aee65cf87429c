//! A fake Supabase Management API v1, as `supabase-mgmt-openapi.json`
//! describes it (security scheme `bearer`).
//!
//! Routes (by `operationId`):
//! - `v1-get-project`: `GET /v1/projects/{ref}` → `V1ProjectWithDatabaseResponse`.
//! - `v1-run-a-query`: `POST /v1/projects/{ref}/database/query`, body
//!   `V1RunQueryBody` (`query` required, `parameters`, `read_only`; nothing
//!   else) → 201. The description gives the answer no schema; the fake
//!   answers as the API does, a JSON array of row objects of the last
//!   statement, columns in order.
//! - `v1-list-all-branches`: `GET /v1/projects/{ref}/branches` → `[BranchResponse]`.
//! - `v1-create-a-branch`: `POST /v1/projects/{ref}/branches`, body
//!   `CreateBranchBody` (`branch_name` required) → 201 `BranchResponse`.
//! - `v1-delete-a-branch`: `DELETE /v1/branches/{branch_id_or_ref}` → 200
//!   `BranchDeleteResponse` (`{"message": "ok"}`).
//!
//! Failures: the description lists the statuses (401 "Unauthorized", 500
//! "Failed to run sql query"…) but no body schema; the fake answers
//! `{"message": "..."}`, with SQL errors as
//! `Failed to run sql query: ERROR:  <SQLSTATE>: <text>`.
//!
//! **The SQL engine is SQLite** (in memory), not PostgreSQL. What the fake
//! does to stand in for PostgreSQL, and nothing more:
//! - `read_only: true` runs the query with `PRAGMA query_only = ON`, so
//!   SQLite itself refuses writes (SQLSTATE 25006, like a read-only
//!   transaction);
//! - a query with several statements and no parameters runs in one
//!   transaction, as PostgreSQL runs a multi-statement simple query;
//! - parameters bind to `$1`, `$2`…;
//! - `to_regclass(name)` answers the name when such a table exists, NULL otherwise;
//! - SQLite errors map onto PostgreSQL SQLSTATEs (42P01 no such table, 42P07
//!   already exists, 23505 unique, 42601 syntax, 25006 read-only).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, fallible_iterator::FallibleIterator};
use serde_json::{Value, json};

use super::http::{Answer, Seen, Server, check_keys};

pub const PROJECT_REF: &str = "abcdefghijklmnopqrst";
const TS: &str = "2025-01-01T00:00:00Z";

struct Branch {
    id: String,
    name: String,
    project_ref: String,
    is_default: bool,
}

struct State {
    db: Connection,
    tables: Arc<Mutex<HashSet<String>>>,
    branches: Vec<Branch>,
    next: u32,
}

pub struct FakeSupabase {
    pub server: Server,
}

fn message(status: u16, text: &str) -> Answer {
    Answer::json(status, &json!({ "message": text }))
}

fn branch_json(b: &Branch) -> Value {
    json!({
        "id": b.id, "name": b.name, "project_ref": b.project_ref,
        "parent_project_ref": PROJECT_REF, "is_default": b.is_default, "persistent": b.is_default,
        "status": "FUNCTIONS_DEPLOYED", "created_at": TS, "updated_at": TS, "with_data": false
    })
}

impl FakeSupabase {
    pub fn start(key: &str) -> FakeSupabase {
        let db = Connection::open_in_memory().unwrap();
        let tables = Arc::new(Mutex::new(HashSet::new()));
        let seen_tables = tables.clone();
        db.create_scalar_function("to_regclass", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            let name: String = ctx.get(0)?;
            Ok(seen_tables.lock().unwrap().contains(&name).then_some(name))
        })
        .unwrap();
        let state = Arc::new(Mutex::new(State {
            db,
            tables,
            branches: vec![Branch {
                id: "5a1e0c0e-0000-4000-8000-000000000001".into(),
                name: "main".into(),
                project_ref: PROJECT_REF.into(),
                is_default: true,
            }],
            next: 2,
        }));
        let expected = format!("Bearer {key}");
        let server = Server::start(move |req| {
            if req.header("authorization") != Some(expected.as_str()) {
                return message(401, "Unauthorized");
            }
            handle(&state, req)
        });
        FakeSupabase { server }
    }
}

fn handle(state: &Mutex<State>, req: &Seen) -> Answer {
    let mut s = state.lock().unwrap();
    let segments: Vec<&str> = req.path.split('/').filter(|x| !x.is_empty()).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "projects", r]) if *r == PROJECT_REF => Answer::json(
            200,
            &json!({
                "id": PROJECT_REF, "ref": PROJECT_REF, "organization_id": "fake-org",
                "organization_slug": "fake-org", "name": "fake project", "region": "us-east-1",
                "created_at": TS, "status": "ACTIVE_HEALTHY",
                "database": {"host": format!("db.{PROJECT_REF}.supabase.co"), "version": "15.8.1",
                             "postgres_engine": "15", "release_channel": "ga"}
            }),
        ),
        ("POST", ["v1", "projects", r, "database", "query"]) if *r == PROJECT_REF => {
            let body = match req.json() {
                Ok(b) => b,
                Err(e) => return message(400, &e),
            };
            if let Err(e) = check_keys(
                &body,
                &["query", "parameters", "read_only"],
                &["query"],
                "V1RunQueryBody",
            ) {
                return message(400, &e);
            }
            let Some(sql) = body["query"].as_str().filter(|q| !q.is_empty()) else {
                return message(400, "query must be a non-empty string");
            };
            let params = match body.get("parameters") {
                None => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(_) => return message(400, "parameters must be an array"),
            };
            let read_only = match body.get("read_only") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return message(400, "read_only must be a boolean"),
            };
            let names: HashSet<String> = {
                let mut st =
                    s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                        .unwrap();
                st.query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            };
            *s.tables.lock().unwrap() = names;
            match run(&s.db, sql, &params, read_only) {
                Ok(rows) => Answer::raw(201, rows),
                Err(e) => message(
                    500,
                    &format!("Failed to run sql query: ERROR:  {}: {e}\n", sqlstate(&e)),
                ),
            }
        }
        ("GET", ["v1", "projects", r, "branches"]) if *r == PROJECT_REF => Answer::json(
            200,
            &Value::Array(s.branches.iter().map(branch_json).collect()),
        ),
        ("POST", ["v1", "projects", r, "branches"]) if *r == PROJECT_REF => {
            let body = match req.json() {
                Ok(b) => b,
                Err(e) => return message(400, &e),
            };
            let allowed = [
                "branch_name",
                "git_branch",
                "is_default",
                "persistent",
                "region",
                "desired_instance_size",
                "release_channel",
                "postgres_engine",
                "secrets",
                "with_data",
                "notify_url",
            ];
            if let Err(e) = check_keys(&body, &allowed, &["branch_name"], "CreateBranchBody") {
                return message(400, &e);
            }
            let Some(name) = body["branch_name"].as_str().filter(|n| !n.is_empty()) else {
                return message(400, "branch_name must be a non-empty string");
            };
            let n = s.next;
            s.next += 1;
            let letter = (b'a' + (n % 26) as u8) as char;
            let b = Branch {
                id: format!("5a1e0c0e-0000-4000-8000-{n:012}"),
                name: name.to_owned(),
                project_ref: std::iter::repeat_n(letter, 20).collect(),
                is_default: false,
            };
            let answer = branch_json(&b);
            s.branches.push(b);
            Answer::json(201, &answer)
        }
        ("DELETE", ["v1", "branches", r]) => {
            let Some(i) = s
                .branches
                .iter()
                .position(|b| b.project_ref == *r || b.id == *r)
            else {
                return message(404, &format!("Branch {r} not found"));
            };
            s.branches.remove(i);
            Answer::json(200, &json!({"message": "ok"}))
        }
        _ => message(404, &format!("Cannot {} {}", req.method, req.path)),
    }
}

fn sqlstate(e: &str) -> &'static str {
    if e.contains("readonly") || e.contains("read-only") {
        "25006"
    } else if e.contains("no such table") {
        "42P01"
    } else if e.contains("already exists") {
        "42P07"
    } else if e.contains("UNIQUE") || e.contains("PRIMARY KEY") {
        "23505"
    } else if e.contains("syntax error") || e.contains("incomplete input") {
        "42601"
    } else {
        "XX000"
    }
}

fn cell(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(format!(
            "\\x{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        )),
    }
}

fn bind(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(V::Integer)
            .unwrap_or_else(|| V::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

/// Runs `sql`; the rows of the last statement as a JSON array text.
fn run(db: &Connection, sql: &str, params: &[Value], read_only: bool) -> Result<String, String> {
    db.pragma_update(None, "query_only", read_only)
        .map_err(|e| e.to_string())?;
    let out = if params.is_empty() {
        db.execute_batch("BEGIN").map_err(|e| e.to_string())?;
        let r = run_batch(db, sql);
        let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
        db.execute_batch(end).map_err(|e| e.to_string()).and(r)
    } else {
        run_one(db, sql, params)
    };
    let _ = db.pragma_update(None, "query_only", false);
    out
}

fn run_batch(db: &Connection, sql: &str) -> Result<String, String> {
    let mut batch = rusqlite::Batch::new(db, sql);
    let mut last = "[]".to_owned();
    while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
        last = rows(&mut stmt, &[])?;
    }
    Ok(last)
}

fn run_one(db: &Connection, sql: &str, params: &[Value]) -> Result<String, String> {
    let mut stmt = db.prepare(sql).map_err(|e| e.to_string())?;
    rows(&mut stmt, params)
}

fn rows(stmt: &mut rusqlite::Statement<'_>, params: &[Value]) -> Result<String, String> {
    for (i, p) in params.iter().enumerate() {
        let Some(at) = stmt
            .parameter_index(&format!("${}", i + 1))
            .map_err(|e| e.to_string())?
        else {
            return Err(format!(
                "could not determine data type of parameter ${}",
                i + 1
            ));
        };
        stmt.raw_bind_parameter(at, bind(p))
            .map_err(|e| e.to_string())?;
    }
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut out = String::from("[");
    let mut rows = stmt.raw_query();
    let mut first = true;
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('{');
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(n).unwrap());
            out.push(':');
            out.push_str(&cell(row.get_ref(i).map_err(|e| e.to_string())?).to_string());
        }
        out.push('}');
    }
    out.push(']');
    Ok(out)
}
