//! `query` and `execute`: one statement of SQLite's own SQL, with
//! positional parameters.
//!
//! Parameters: `?`, `?NNN`, `:name`, `@name` and `$name` take the values in
//! the order SQLite numbers them; `$1`, `$2`… (PostgreSQL style) take value
//! N. One statement only: scripts go through `migrate`.

use paddock_sdk::db::{Column, RowSet, Value, ValueType};
use paddock_sdk::{Error, Result};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection, Statement};

use crate::error::Sql;
use crate::value::{from_sql, storage_class, to_sql, type_of};

/// A result set larger than this (estimated) is refused rather than risk
/// the instance's memory limit.
pub const MAX_RESULT_BYTES: usize = 64 << 20;

/// The `query` verb. SQLite enforces read-only: the statement runs with
/// `PRAGMA query_only` inside a transaction that is rolled back, so a
/// write fails with `SQLITE_READONLY` (`access-denied`) and nothing the
/// statement does can persist. `ATTACH`, which query_only allows and which
/// creates missing files, is refused by allowing no attached database.
pub fn query(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<RowSet> {
    let attached = conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0).sql()?;
    conn.execute_batch("PRAGMA query_only = ON; BEGIN").sql()?;
    let out = read_all(conn, sql, params).map_err(|e| match e {
        Error::AccessDenied(m) if m.contains("readonly") => Error::access_denied(format!(
            "query is read-only; use execute for INSERT, UPDATE, DELETE and DDL ({m})"
        )),
        Error::InvalidInput(m) if m.starts_with("too many attached databases") => {
            Error::access_denied("query cannot ATTACH databases")
        }
        e => e,
    });
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK").sql()?;
    }
    conn.execute_batch("PRAGMA query_only = OFF").sql()?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, attached)
        .sql()?;
    out
}

fn read_all(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<RowSet> {
    let mut stmt = prepare_one(conn, sql)?;
    bind(&mut stmt, &params)?;
    let declared: Vec<Option<String>> = stmt
        .columns()
        .iter()
        .map(|c| c.decl_type().map(str::to_owned))
        .collect();
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let types: Vec<ValueType> = declared
        .iter()
        .map(|d| d.as_deref().map_or(ValueType::Unknown, type_of))
        .collect();
    // Columns without a declared type (expressions) take the storage class
    // of their first non-null value.
    let mut inferred: Vec<Option<(&'static str, ValueType)>> = vec![None; names.len()];
    let (mut rows, mut bytes) = (Vec::new(), 0usize);
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next().sql()? {
        let mut out = Vec::with_capacity(names.len());
        for (i, vt) in types.iter().enumerate() {
            let v = row.get_ref(i).sql()?;
            if declared[i].is_none() && inferred[i].is_none_or(|(_, t)| t == ValueType::Unknown) {
                inferred[i] = Some(storage_class(v));
            }
            bytes += 16 + size(v);
            out.push(from_sql(v, *vt));
        }
        if bytes > MAX_RESULT_BYTES {
            return Err(Error::quota_exceeded(format!(
                "the result is larger than {} MiB; add LIMIT, or page with read-rows",
                MAX_RESULT_BYTES >> 20
            )));
        }
        rows.push(out);
    }
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (type_name, value_type) = match (&declared[i], inferred[i]) {
                (Some(d), _) => (d.clone(), types[i]),
                (None, Some((class, vt))) => (class.to_owned(), vt),
                (None, None) => (String::new(), ValueType::Unknown),
            };
            Column {
                name,
                type_name,
                value_type,
            }
        })
        .collect();
    Ok(RowSet {
        columns,
        rows_read: rows.len() as u64,
        rows,
    })
}

fn size(v: ValueRef<'_>) -> usize {
    match v {
        ValueRef::Text(b) | ValueRef::Blob(b) => b.len(),
        _ => 0,
    }
}

/// The `execute` verb: SQLite makes each statement atomic; rows it returns
/// (`RETURNING`) are stepped through and dropped. The count is SQLite's
/// `changes()`: rows inserted, updated or deleted by the statement itself.
pub fn execute(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<u64> {
    let mut stmt = prepare_one(conn, sql)?;
    bind(&mut stmt, &params)?;
    let before = conn.total_changes();
    let mut rows = stmt.raw_query();
    while rows.next().sql()?.is_some() {}
    drop(rows);
    // `changes()` keeps the count of the last INSERT/UPDATE/DELETE, so DDL
    // and SELECT, which change nothing, would report a stale one.
    Ok(if conn.total_changes() == before {
        0
    } else {
        conn.changes()
    })
}

/// The one statement of `sql` (trailing `;`, spaces and comments allowed).
pub fn prepare_one<'c>(conn: &'c Connection, sql: &str) -> Result<Statement<'c>> {
    let mut batch = Batch::new(conn, sql);
    let Some(stmt) = batch.next().sql()? else {
        return Err(Error::invalid_input("the SQL holds no statement"));
    };
    if batch.next().sql()?.is_some() {
        return Err(crate::error::map(rusqlite::Error::MultipleStatement));
    }
    Ok(stmt)
}

/// Binds `params` to the statement's parameters (see the module doc).
pub fn bind(stmt: &mut Statement<'_>, params: &[Value]) -> Result<()> {
    let count = stmt.parameter_count();
    let (mut numbered, mut other) = (false, false);
    let mut slots = Vec::with_capacity(count);
    for i in 1..=count {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|digits| digits.parse::<usize>().ok())
            .filter(|&n| n >= 1);
        match n {
            Some(n) => {
                numbered = true;
                slots.push(n - 1);
            }
            None => {
                other = true;
                slots.push(i - 1);
            }
        }
    }
    if numbered && other {
        return Err(Error::invalid_input(
            "the statement mixes $1-style parameters with ?, ?NNN or :name ones; use one style",
        ));
    }
    let wanted = slots.iter().max().map_or(0, |m| m + 1);
    if params.len() != wanted {
        return Err(Error::invalid_input(format!(
            "the statement has {wanted} parameter(s) but {} value(s) were given",
            params.len()
        )));
    }
    for (i, &slot) in slots.iter().enumerate() {
        let what = || format!("parameter {}", slot + 1);
        stmt.raw_bind_parameter(i + 1, to_sql(&params[slot], &what)?)
            .sql()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
