//! `read-rows` and `write-rows`: batch access for extract/load pipelines.
//!
//! Reads go in primary key order, the cursor holding the last key served
//! (keyset paging: rows written between batches do not shift later ones,
//! and every batch is an index range scan). A table without a primary key
//! goes in `ctid` (physical) order, the cursor holding the last `ctid`; an
//! `UPDATE` or `VACUUM FULL` between batches may move rows there.
//!
//! Writes land in one transaction: a bad row or a collision anywhere leaves
//! the table as it was. Values are coerced to the column types by the same
//! rules as `sqlite` and `fake_db`, then sent in pipelines of
//! [`PIPELINE`] rows (one round trip each). `upsert` updates the row with
//! the same key columns, else inserts, in one statement per row; it needs no
//! unique index.

use paddock_sdk::db::{RowBatch, Value, WriteMode};
use paddock_sdk::{Error, Result};

use crate::Db;
use crate::tables::{self, Table, quote};
use crate::value::{coerce, decode, describe, encode};
use crate::wire::text;

pub const DEFAULT_BATCH: u32 = 1000;
pub const MAX_BATCH: u32 = 10_000;
/// Rows sent before reading the answers.
pub const PIPELINE: usize = 500;

/// `k:<key texts as JSON>@<table>` or `c:<ctid>@<table>`: cursors name the
/// table, so one passed to another table is refused instead of skipping rows.
fn encode_cursor(t: &Table, keyed: bool, position: &[String]) -> String {
    let name = t.name.to_lowercase();
    if keyed {
        let json = serde_json::to_string(position).expect("strings serialize");
        format!("k:{json}@{name}")
    } else {
        format!("c:{}@{name}", position[0])
    }
}

fn decode_cursor(t: &Table, keys: usize, cursor: &str) -> Result<Vec<String>> {
    let bad = || {
        Error::invalid_input(format!(
            "cursor '{cursor}' was not returned by read-rows of table '{}'; pass back next-cursor unchanged",
            t.name
        ))
    };
    let body = cursor
        .strip_suffix(&format!("@{}", t.name.to_lowercase()))
        .ok_or_else(bad)?;
    if keys > 0 {
        let json = body.strip_prefix("k:").ok_or_else(bad)?;
        let values: Vec<String> = serde_json::from_str(json).map_err(|_| bad())?;
        if values.len() != keys {
            return Err(bad());
        }
        Ok(values)
    } else {
        let tid = body.strip_prefix("c:").ok_or_else(bad)?;
        let ok = tid.starts_with('(')
            && tid.ends_with(')')
            && tid[1..tid.len() - 1]
                .split(',')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(bad());
        }
        Ok(vec![tid.to_owned()])
    }
}

pub fn read(
    db: &mut Db,
    table: &str,
    columns: Option<Vec<String>>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<RowBatch> {
    let t = tables::load(db, table)?;
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
    let pk = t.pk();
    let keyed = !pk.is_empty();
    let after = cursor
        .map(|c| decode_cursor(&t, pk.len(), &c))
        .transpose()?;
    // The position columns first (key columns, or ctid), then those asked.
    let position: Vec<String> = if keyed {
        pk.iter().map(|&i| quote(&t.columns[i].name)).collect()
    } else {
        vec!["ctid".to_owned()]
    };
    let list: Vec<String> = idx.iter().map(|&i| quote(&t.columns[i].name)).collect();
    let order = position.join(", ");
    let mut types = Vec::new();
    let filter = match &after {
        None => String::new(),
        Some(_) if keyed => {
            types = pk.iter().map(|&i| t.columns[i].type_oid).collect();
            let marks: Vec<String> = (1..=pk.len()).map(|n| format!("${n}")).collect();
            format!(" WHERE ({order}) > ({})", marks.join(", "))
        }
        Some(_) => {
            types = vec![0];
            " WHERE ctid > $1::tid".to_owned()
        }
    };
    let sql = format!(
        "SELECT {order}, {} FROM {}{filter} ORDER BY {order} LIMIT {}",
        list.join(", "),
        quote(&t.name),
        u64::from(limit) + 1
    );
    db.prepare(&sql, &types)?;
    let values = after
        .unwrap_or_default()
        .into_iter()
        .map(|v| Some(v.into_bytes()))
        .collect();
    let out = db.run(values)?;
    let skip = position.len();
    let mut rows = Vec::with_capacity(out.rows.len().min(limit as usize));
    let mut last: Option<Vec<String>> = None;
    let more = out.rows.len() > limit as usize;
    for raw in out.rows.iter().take(limit as usize) {
        last = Some(
            raw[..skip]
                .iter()
                .map(|v| v.as_deref().map(text).unwrap_or_default())
                .collect(),
        );
        rows.push(
            idx.iter()
                .zip(&raw[skip..])
                .map(|(&i, v)| {
                    let c = &t.columns[i];
                    decode(v.as_deref(), c.type_oid, c.value_type())
                })
                .collect::<Vec<Value>>(),
        );
    }
    Ok(RowBatch {
        columns: idx.iter().map(|&i| t.columns[i].column()).collect(),
        next_cursor: match (more, last) {
            (true, Some(last)) => Some(encode_cursor(&t, keyed, &last)),
            _ => None,
        },
        rows_read: rows.len() as u64,
        rows,
    })
}

/// Writes a batch atomically (see the module doc).
pub fn write(
    db: &mut Db,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
) -> Result<u64> {
    db.simple("BEGIN")?;
    let out = write_in(db, table, columns, rows, mode, key_columns);
    match out {
        Ok(n) => db.simple("COMMIT").map(|()| n),
        Err(e) => {
            // The write's own error, whatever the rollback says.
            let _ = db.simple("ROLLBACK");
            Err(e)
        }
    }
}

fn write_in(
    db: &mut Db,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
) -> Result<u64> {
    let t = tables::load(db, table)?;
    let (idx, key_idx) =
        paddock_sdk::db::write_columns(&t.name, &t.column_names(), &columns, mode, &key_columns)?;
    // Every value checked before anything is sent.
    let mut encoded = Vec::with_capacity(rows.len());
    for (n, values) in rows.into_iter().enumerate() {
        if values.len() != idx.len() {
            return Err(Error::invalid_input(format!(
                "row {n} has {} values for {} columns",
                values.len(),
                idx.len()
            )));
        }
        let row = idx
            .iter()
            .zip(values)
            .map(|(&i, v)| {
                let c = &t.columns[i];
                let what = describe(&v);
                let v = coerce(c.value_type(), v).ok_or_else(|| {
                    Error::invalid_input(format!(
                        "row {n}: column '{}' ({}) cannot hold {what}",
                        c.name, c.type_name
                    ))
                })?;
                encode(&v, c.type_oid, &|| format!("row {n}: column '{}'", c.name))
            })
            .collect::<Result<Vec<_>>>()?;
        encoded.push(row);
    }
    let name = quote(&t.name);
    if let WriteMode::Overwrite = mode {
        db.simple(&format!("DELETE FROM {name}"))?;
    }
    let count = encoded.len() as u64;
    if encoded.is_empty() {
        return Ok(0);
    }
    let names: Vec<String> = idx.iter().map(|&i| quote(&t.columns[i].name)).collect();
    let marks: Vec<String> = (1..=idx.len()).map(|n| format!("${n}")).collect();
    let types: Vec<u32> = idx.iter().map(|&i| t.columns[i].type_oid).collect();
    let sql = match mode {
        WriteMode::Upsert => {
            let key_pos: Vec<usize> = key_idx
                .iter()
                .map(|k| idx.iter().position(|i| i == k).expect("checked above"))
                .collect();
            let matching = key_pos
                .iter()
                .map(|&p| format!("{} = ${}", names[p], p + 1))
                .collect::<Vec<_>>()
                .join(" AND ");
            let sets: Vec<String> = (0..idx.len())
                .filter(|p| !key_pos.contains(p))
                .map(|p| format!("{} = ${}", names[p], p + 1))
                .collect();
            // NULL keys never match (as in SQL): such rows are inserted.
            let found = if sets.is_empty() {
                format!("SELECT 1 FROM {name} WHERE {matching}")
            } else {
                "SELECT 1 FROM u".to_owned()
            };
            let with = if sets.is_empty() {
                String::new()
            } else {
                format!(
                    "WITH u AS (UPDATE {name} SET {} WHERE {matching} RETURNING 1) ",
                    sets.join(", ")
                )
            };
            format!(
                "{with}INSERT INTO {name} ({}) SELECT {} WHERE NOT EXISTS ({found})",
                names.join(", "),
                marks.join(", ")
            )
        }
        _ => format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        ),
    };
    db.prepare(&sql, &types)?;
    for (chunk_no, chunk) in encoded.chunks(PIPELINE).enumerate() {
        db.run_many(chunk, Some(chunk_no * PIPELINE))?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Col;

    fn table() -> Table {
        Table {
            name: "People".into(),
            columns: vec![Col {
                name: "id".into(),
                type_name: "bigint".into(),
                type_oid: 20,
                not_null: true,
                pk: 1,
            }],
        }
    }

    #[test]
    fn cursors_round_trip_and_name_their_table() {
        let t = table();
        let c = encode_cursor(&t, true, &["5".into()]);
        assert_eq!(c, "k:[\"5\"]@people");
        assert_eq!(decode_cursor(&t, 1, &c).unwrap(), ["5"]);
        let other = Table {
            name: "other".into(),
            ..table()
        };
        assert_eq!(
            decode_cursor(&other, 1, &c).unwrap_err().kind(),
            "invalid-input"
        );
        let c = encode_cursor(&t, false, &["(0,7)".into()]);
        assert_eq!(decode_cursor(&t, 0, &c).unwrap(), ["(0,7)"]);
        assert!(decode_cursor(&t, 0, "c:(0,7);drop@people").is_err());
        assert!(decode_cursor(&t, 2, "k:[\"5\"]@people").is_err());
    }
}
