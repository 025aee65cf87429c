//! `read-rows` and `write-rows`: batch access for extract/load pipelines.
//!
//! Reads go in rowid order, the cursor naming the last rowid served (so
//! rows written between batches do not shift later batches). A `WITHOUT
//! ROWID` table goes in primary key order by offset; so does a table whose
//! columns take all three names of the rowid, in scan order.
//!
//! Writes land in one transaction: a bad row or a collision anywhere leaves
//! the table as it was. Values are coerced to the column types as a typed
//! database would (the rules of `fake_db`), so a copy fails the same way on
//! bad data whichever driver it writes to.

use paddock_sdk::db::{RowBatch, Value, WriteMode};
use paddock_sdk::{Error, Result};
use rusqlite::{Connection, params_from_iter};

use crate::error::{Sql, within};
use crate::tables::{self, Table, quote};
use crate::value::{coerce, describe, from_sql, to_sql};

pub const DEFAULT_BATCH: u32 = 1000;
pub const MAX_BATCH: u32 = 10_000;

/// How a table's rows are ordered for reading.
enum Order {
    /// By rowid, through this name of it.
    Rowid(&'static str),
    /// By primary key (or rowid, when no key), by offset.
    Offset,
}

fn order(t: &Table) -> Order {
    if t.without_rowid {
        return Order::Offset;
    }
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| t.col_index(alias).is_err())
        .map_or(Order::Offset, Order::Rowid)
}

/// Cursors name the table, so a cursor passed to another table is refused
/// instead of silently skipping rows: `<rowid>@<table>` or `+<offset>@<table>`.
fn encode_cursor(t: &Table, position: &str) -> String {
    format!("{position}@{}", t.name.to_ascii_lowercase())
}

fn decode_cursor(t: &Table, order: &Order, cursor: &str) -> Result<i64> {
    cursor
        .split_once('@')
        .filter(|(_, name)| name.eq_ignore_ascii_case(&t.name))
        .and_then(|(n, _)| match order {
            Order::Rowid(_) if !n.starts_with('+') => n.parse().ok(),
            Order::Rowid(_) => None,
            Order::Offset => n.strip_prefix('+')?.parse().ok().filter(|n| *n >= 0),
        })
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "cursor '{cursor}' was not returned by read-rows of table '{}'; pass back next-cursor unchanged",
                t.name
            ))
        })
}

pub fn read(
    conn: &Connection,
    table: &str,
    columns: Option<Vec<String>>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<RowBatch> {
    let t = tables::load(conn, table)?;
    let idx = match columns {
        Some(names) if names.is_empty() => {
            return Err(Error::invalid_input(
                "columns must name at least one column, or be omitted for all",
            ));
        }
        Some(names) => t.col_indexes(&names)?,
        None => (0..t.columns.len()).collect(),
    };
    let limit = match limit.unwrap_or(DEFAULT_BATCH) {
        0 => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_BATCH}"
            )));
        }
        n => n.min(MAX_BATCH),
    };
    let order = order(&t);
    let after = cursor.map(|c| decode_cursor(&t, &order, &c)).transpose()?;
    let list: Vec<String> = idx.iter().map(|&i| quote(&t.columns[i].name)).collect();
    let list = list.join(", ");
    let name = quote(&t.name);
    // One row more than asked tells whether another batch follows.
    let sql = match &order {
        Order::Rowid(rowid) => format!(
            "SELECT {rowid}, {list} FROM {name} WHERE {rowid} > ?1 ORDER BY {rowid} LIMIT ?2"
        ),
        Order::Offset => {
            // No key and no name for the rowid left: a plain scan, which
            // SQLite makes in rowid order.
            let by: Vec<String> = t.pk().iter().map(|&i| quote(&t.columns[i].name)).collect();
            let by = if by.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", by.join(", "))
            };
            format!("SELECT 0, {list} FROM {name}{by} LIMIT ?2 OFFSET ?1")
        }
    };
    let types: Vec<_> = idx.iter().map(|&i| t.columns[i].value_type()).collect();
    let mut stmt = conn.prepare(&sql).sql()?;
    let mut result = stmt
        .query(rusqlite::params![
            after.unwrap_or(match order {
                Order::Rowid(_) => i64::MIN,
                Order::Offset => 0,
            }),
            i64::from(limit) + 1
        ])
        .sql()?;
    let mut rows = Vec::with_capacity(limit as usize);
    let mut last_rowid = None;
    while let Some(r) = result.next().sql()? {
        if rows.len() == limit as usize {
            let position = match order {
                Order::Rowid(_) => last_rowid.map(|id: i64| id.to_string()),
                Order::Offset => Some(format!("+{}", after.unwrap_or(0) + i64::from(limit))),
            };
            return Ok(RowBatch {
                columns: idx.iter().map(|&i| t.columns[i].column()).collect(),
                next_cursor: position.map(|p| encode_cursor(&t, &p)),
                rows_read: rows.len() as u64,
                rows,
            });
        }
        last_rowid = Some(r.get::<_, i64>(0).sql()?);
        let mut row = Vec::with_capacity(idx.len());
        for (n, vt) in types.iter().enumerate() {
            row.push(from_sql(r.get_ref(n + 1).sql()?, *vt));
        }
        rows.push(row);
    }
    Ok(RowBatch {
        columns: idx.iter().map(|&i| t.columns[i].column()).collect(),
        next_cursor: None,
        rows_read: rows.len() as u64,
        rows,
    })
}

/// Writes a batch atomically (see the module doc).
pub fn write(
    conn: &Connection,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
) -> Result<u64> {
    conn.execute_batch("BEGIN IMMEDIATE").sql()?;
    let out = write_in(conn, table, columns, rows, mode, key_columns);
    match out {
        Ok(n) => conn.execute_batch("COMMIT").sql().map(|()| n),
        Err(e) => {
            if !conn.is_autocommit() {
                conn.execute_batch("ROLLBACK").sql()?;
            }
            Err(e)
        }
    }
}

fn write_in(
    conn: &Connection,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
) -> Result<u64> {
    let t = tables::load(conn, table)?;
    let (idx, key_idx) =
        paddock_sdk::db::write_columns(&t.name, &t.column_names(), &columns, mode, &key_columns)?;
    let name = quote(&t.name);
    if let WriteMode::Overwrite = mode {
        conn.execute(&format!("DELETE FROM {name}"), []).sql()?;
    }
    let names: Vec<String> = idx.iter().map(|&i| quote(&t.columns[i].name)).collect();
    let marks: Vec<String> = (1..=idx.len()).map(|n| format!("?{n}")).collect();
    let insert = format!(
        "INSERT INTO {name} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    // Upsert: update the rows with the same key (NULL keys never match, as
    // in SQL), insert when none has it. Works for any key columns, not only
    // those with a UNIQUE index.
    let key_pos: Vec<usize> = key_idx
        .iter()
        .map(|k| idx.iter().position(|i| i == k).expect("checked above"))
        .collect();
    let matching = key_pos
        .iter()
        .map(|&p| format!("{} = ?{}", names[p], p + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    let sets: Vec<String> = (0..idx.len())
        .filter(|p| !key_pos.contains(p))
        .map(|p| format!("{} = ?{}", names[p], p + 1))
        .collect();
    let update = if sets.is_empty() {
        // Only key columns are written: a row with the key is already as asked.
        format!("SELECT 1 FROM {name} WHERE {matching} LIMIT 1")
    } else {
        format!("UPDATE {name} SET {} WHERE {matching}", sets.join(", "))
    };
    let count = rows.len() as u64;
    let mut insert = conn.prepare(&insert).sql()?;
    let mut update = match mode {
        WriteMode::Upsert => Some(conn.prepare(&update).sql()?),
        _ => None,
    };
    for (n, values) in rows.into_iter().enumerate() {
        let at_row = |e| within(e, &format!("row {n}"));
        if values.len() != idx.len() {
            return Err(Error::invalid_input(format!(
                "row {n} has {} values for {} columns",
                values.len(),
                idx.len()
            )));
        }
        let values: Vec<Value> = idx
            .iter()
            .zip(values)
            .map(|(&i, v)| {
                let c = &t.columns[i];
                let what = describe(&v);
                coerce(c.value_type(), v).ok_or_else(|| {
                    Error::invalid_input(format!(
                        "row {n}: column '{}' ({}) cannot hold {what}",
                        c.name, c.type_name
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let what = || format!("row {n}");
        let bound = values
            .iter()
            .map(|v| to_sql(v, &what))
            .collect::<Result<Vec<_>>>()?;
        let null_key = key_pos.iter().any(|&p| matches!(values[p], Value::Null));
        let done = match update.as_mut() {
            Some(u) if !null_key => {
                if sets.is_empty() {
                    u.exists(params_from_iter(&bound)).sql().map_err(at_row)?
                } else {
                    u.execute(params_from_iter(&bound)).sql().map_err(at_row)? > 0
                }
            }
            _ => false,
        };
        if !done {
            insert
                .execute(params_from_iter(&bound))
                .sql()
                .map_err(at_row)?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests;
