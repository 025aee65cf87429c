//! `query` and `execute`: one statement with PostgreSQL's `$1`, `$2`…
//! parameters, through the extended query protocol. Scripts of several
//! statements go through `migrate`.

use paddock_sdk::db::{Column, RowSet, Value, ValueType};
use paddock_sdk::{Error, Result};
use postgres_protocol::Oid;

use crate::Db;
use crate::value::{builtin, decode, encode, value_type};
use crate::wire::{Field, Outcome, Prepared, text};

/// The `query` verb. PostgreSQL enforces read-only: the statement runs in a
/// `READ ONLY` transaction that is always rolled back, so a write fails
/// with SQLSTATE 25006 (`access-denied`) and nothing it does persists.
/// The transaction has taken its snapshot before the statement runs
/// (`SELECT 1`), so `SET TRANSACTION READ WRITE` is refused too.
pub fn query(db: &mut Db, sql: &str, params: Vec<Value>) -> Result<RowSet> {
    db.simple("BEGIN TRANSACTION READ ONLY; SELECT 1")?;
    let out = read_all(db, sql, &params).map_err(|e| match e {
        Error::AccessDenied(m) if m.contains("SQLSTATE 25006") => Error::access_denied(format!(
            "query is read-only; use execute for INSERT, UPDATE, DELETE and DDL ({m})"
        )),
        e => e,
    });
    // The statement's own error first: after a broken connection the
    // rollback fails too.
    let rollback = db.simple("ROLLBACK");
    let rows = out?;
    rollback?;
    Ok(rows)
}

fn read_all(db: &mut Db, sql: &str, params: &[Value]) -> Result<RowSet> {
    let (prepared, outcome) = run(db, sql, params)?;
    let columns = columns(db, &prepared.fields)?;
    let rows: Vec<Vec<Value>> = outcome
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&prepared.fields)
                .zip(&columns)
                .map(|((v, f), c)| decode(v.as_deref(), f.type_oid, c.value_type))
                .collect()
        })
        .collect();
    Ok(RowSet {
        columns,
        rows_read: rows.len() as u64,
        rows,
    })
}

/// The `execute` verb: one statement in its own (implicit) transaction;
/// the count is the command tag's rows inserted, updated, deleted or merged.
pub fn execute(db: &mut Db, sql: &str, params: Vec<Value>) -> Result<u64> {
    let (_, outcome) = run(db, sql, &params)?;
    Ok(outcome.rows_affected())
}

/// Parses `sql`, encodes `params` for the parameter types PostgreSQL
/// inferred, and runs it.
pub fn run(db: &mut Db, sql: &str, params: &[Value]) -> Result<(Prepared, Outcome)> {
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        return Err(Error::invalid_input("the SQL holds no statement"));
    }
    let prepared = db.prepare(sql, &[]).map_err(|e| match e {
        Error::InvalidInput(m) if m.contains("cannot insert multiple commands") => {
            Error::invalid_input(format!(
                "the SQL holds more than one statement; send one per call (migrate runs scripts) ({m})"
            ))
        }
        e => e,
    })?;
    if prepared.params.len() != params.len() {
        return Err(Error::invalid_input(format!(
            "the statement has {} parameter(s) but {} value(s) were given",
            prepared.params.len(),
            params.len()
        )));
    }
    let values = params
        .iter()
        .zip(&prepared.params)
        .enumerate()
        .map(|(i, (v, oid))| encode(v, *oid, &|| format!("parameter {}", i + 1)))
        .collect::<Result<Vec<_>>>()?;
    let outcome = db.run(values)?;
    Ok((prepared, outcome))
}

/// The result columns, with their type names (asking the server for those
/// of types that are not built in: domains, enums, arrays, extensions).
pub fn columns(db: &mut Db, fields: &[Field]) -> Result<Vec<Column>> {
    let unknown: Vec<Oid> = fields
        .iter()
        .map(|f| f.type_oid)
        .filter(|oid| builtin(*oid).is_none())
        .collect();
    let mut names: Vec<(Oid, String)> = Vec::new();
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(u32::to_string).collect();
        let list = format!("{{{}}}", list.join(","));
        let out = db.exec(
            "SELECT oid::int8, format_type(oid, NULL) FROM pg_type WHERE oid = ANY($1::oid[])",
            &[Some(&list)],
        )?;
        for row in out.rows {
            if let [Some(oid), Some(name)] = &row[..]
                && let Ok(oid) = text(oid).parse()
            {
                names.push((oid, text(name)));
            }
        }
    }
    Ok(fields
        .iter()
        .map(|f| {
            let (type_name, vt) = match builtin(f.type_oid) {
                Some((name, vt)) => (name.to_owned(), vt),
                None => {
                    let name = names
                        .iter()
                        .find(|(oid, _)| *oid == f.type_oid)
                        .map_or_else(|| format!("oid {}", f.type_oid), |(_, n)| n.clone());
                    let vt = value_type(f.type_oid, &name);
                    (name, vt)
                }
            };
            Column {
                name: f.name.clone(),
                type_name,
                value_type: if vt == ValueType::Bytes && f.type_oid != crate::value::BYTEA {
                    // Only bytea comes back as bytes.
                    ValueType::Unknown
                } else {
                    vt
                },
            }
        })
        .collect())
}
