//! `read-rows` and `write-rows`: batch access for extract/load pipelines.

use std::collections::HashMap;

use paddock_sdk::db::{RowBatch, Value, WriteMode};
use paddock_sdk::state::Store;
use paddock_sdk::{Error, Result};

use crate::table::{self, TableDef, key_json};
use crate::tx::Tx;
use crate::value::Cell;

pub const DEFAULT_BATCH: u32 = 1000;
pub const MAX_BATCH: u32 = 10_000;

/// Cursors name the table and the last rowid served, so a cursor passed to
/// another table is refused instead of silently skipping rows.
fn encode_cursor(def: &TableDef, rowid: u64) -> String {
    format!("{rowid}@{}", def.name.to_ascii_lowercase())
}

fn decode_cursor(def: &TableDef, cursor: &str) -> Result<u64> {
    cursor
        .split_once('@')
        .filter(|(_, t)| t.eq_ignore_ascii_case(&def.name))
        .and_then(|(n, _)| n.parse().ok())
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "cursor '{cursor}' was not returned by read-rows of table '{}'; pass back next-cursor unchanged",
                def.name
            ))
        })
}

pub fn read(
    store: &dyn Store,
    table: &str,
    columns: Option<Vec<String>>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<RowBatch> {
    let def = table::load(store, table)?;
    let idx = match columns {
        Some(names) if names.is_empty() => {
            return Err(Error::invalid_input(
                "columns must name at least one column, or be omitted for all",
            ));
        }
        Some(names) => def.col_indexes(&names)?,
        None => (0..def.columns.len()).collect(),
    };
    let limit = match limit.unwrap_or(DEFAULT_BATCH) {
        0 => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_BATCH}"
            )));
        }
        n => n.min(MAX_BATCH),
    };
    let after = cursor.map(|c| decode_cursor(&def, &c)).transpose()?;
    // One row more than asked tells whether another batch follows.
    let mut rows = table::scan(store, &def, after, limit + 1)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(RowBatch {
        columns: def.result_columns(&idx),
        next_cursor: if more {
            rows.last().map(|(id, _)| encode_cursor(&def, *id))
        } else {
            None
        },
        rows_read: rows.len() as u64,
        rows: rows
            .into_iter()
            .map(|(_, row)| idx.iter().map(|&i| Value::from(row[i].clone())).collect())
            .collect(),
    })
}

/// Writes a batch atomically: a bad row or a collision anywhere leaves the
/// table as it was.
pub fn write(
    store: &mut dyn Store,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
    now_ms: u64,
) -> Result<u64> {
    let mut tx = Tx::new(store);
    let n = write_in(&mut tx, table, columns, rows, mode, key_columns, now_ms)?;
    tx.commit();
    Ok(n)
}

fn write_in(
    store: &mut dyn Store,
    table: &str,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    mode: WriteMode,
    key_columns: Vec<String>,
    now_ms: u64,
) -> Result<u64> {
    let mut def = table::load(store, table)?;
    let (idx, key_idx) = paddock_sdk::db::write_columns(
        &def.name,
        &def.column_names(),
        &columns,
        mode,
        &key_columns,
    )?;
    if let WriteMode::Overwrite = mode {
        table::clear(store, &def);
    }
    let mut upsert = match mode {
        WriteMode::Upsert => Some(Upserter::new(store, &def, key_idx)?),
        _ => None,
    };
    let count = rows.len() as u64;
    for (n, values) in rows.into_iter().enumerate() {
        if values.len() != idx.len() {
            return Err(Error::invalid_input(format!(
                "row {n} has {} values for {} columns",
                values.len(),
                idx.len()
            )));
        }
        let mut given: Vec<Option<Cell>> = vec![None; def.columns.len()];
        for (&i, v) in idx.iter().zip(values) {
            given[i] = Some(Cell::from(v));
        }
        match upsert.as_mut() {
            Some(u) => u.write(store, &mut def, given, now_ms)?,
            None => {
                let row = def.complete_row(given, now_ms)?;
                table::insert(store, &mut def, row)?;
            }
        }
    }
    table::save(store, &def);
    Ok(count)
}

/// Finds existing rows by the upsert key: through the primary key index
/// when the key is the primary key, else through a map built by one scan.
struct Upserter {
    key_idx: Vec<usize>,
    by_pk: bool,
    map: HashMap<String, u64>,
}

impl Upserter {
    fn new(store: &dyn Store, def: &TableDef, mut key_idx: Vec<usize>) -> Result<Self> {
        key_idx.sort_unstable();
        let by_pk = key_idx == def.pk();
        let mut map = HashMap::new();
        if !by_pk {
            table::for_each(store, def, |rowid, row| {
                if let Some(k) = Self::key(&key_idx, &row) {
                    map.insert(k, rowid);
                }
                Ok(true)
            })?;
        }
        Ok(Self {
            key_idx,
            by_pk,
            map,
        })
    }

    /// None when a key cell is NULL: as in SQL, NULL keys never match.
    fn key(key_idx: &[usize], row: &[Cell]) -> Option<String> {
        let cells: Vec<&Cell> = key_idx.iter().map(|&i| &row[i]).collect();
        (!cells.contains(&&Cell::Null)).then(|| key_json(cells))
    }

    fn write(
        &mut self,
        store: &mut dyn Store,
        def: &mut TableDef,
        given: Vec<Option<Cell>>,
        now_ms: u64,
    ) -> Result<()> {
        let row = def.complete_row(given.clone(), now_ms)?;
        let key = Self::key(&self.key_idx, &row);
        let existing = match &key {
            None => None,
            Some(k) if self.by_pk => table::lookup(store, def, k)?,
            Some(k) => self.map.get(k).copied(),
        };
        match existing {
            Some(rowid) => {
                let old = table::row(store, def, rowid)?;
                // Only the columns given change, as in `ON CONFLICT DO UPDATE`.
                let new: Vec<Cell> = old
                    .iter()
                    .zip(&given)
                    .zip(row)
                    .map(|((o, g), r)| if g.is_some() { r } else { o.clone() })
                    .collect();
                table::replace(store, def, rowid, &old, new)
            }
            None => {
                let rowid = table::insert(store, def, row)?;
                if let Some(k) = key {
                    self.map.insert(k, rowid);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::tests::col;
    use paddock_sdk::state::MemoryStore;

    fn setup() -> MemoryStore {
        let mut s = MemoryStore::new();
        let def = TableDef::new(
            "t",
            vec![
                col("id", "INTEGER", true),
                col("email", "TEXT", false),
                col("n", "INTEGER", false),
            ],
        )
        .unwrap();
        table::create(&mut s, &def).unwrap();
        s
    }

    fn v(id: i64, email: &str, n: i64) -> Vec<Value> {
        vec![
            Value::Integer(id),
            Value::Text(email.into()),
            Value::Integer(n),
        ]
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn ids(s: &MemoryStore) -> Vec<String> {
        read(s, "t", Some(cols(&["id", "n"])), None, None)
            .unwrap()
            .rows
            .iter()
            .map(|r| format!("{:?}", r))
            .collect()
    }

    #[test]
    fn append_conflicts_and_is_checked() {
        let mut s = setup();
        let all = cols(&["id", "email", "n"]);
        assert_eq!(
            write(
                &mut s,
                "t",
                all.clone(),
                vec![v(1, "a", 1), v(2, "b", 2)],
                WriteMode::Append,
                vec![],
                0
            )
            .unwrap(),
            2
        );
        let e = write(
            &mut s,
            "t",
            all.clone(),
            vec![v(3, "c", 3), v(1, "x", 0)],
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap_err();
        assert_eq!(e.kind(), "conflict");
        let n = read(&s, "t", None, None, None).unwrap().rows.len();
        assert_eq!(n, 2, "row 3 of the failed batch did not land either");
        let e = write(
            &mut s,
            "t",
            cols(&["id", "nope"]),
            vec![],
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap_err();
        assert!(e.message().contains("no column 'nope'"));
        assert_eq!(
            write(
                &mut s,
                "x",
                all.clone(),
                vec![],
                WriteMode::Append,
                vec![],
                0
            )
            .unwrap_err()
            .kind(),
            "not-found"
        );
        let e = write(
            &mut s,
            "t",
            all.clone(),
            vec![vec![Value::Integer(4)]],
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap_err();
        assert!(e.message().contains("row 0 has 1 values for 3 columns"));
        let e = write(
            &mut s,
            "t",
            all,
            vec![vec![Value::Text("x".into()), Value::Null, Value::Null]],
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap_err();
        assert!(e.message().contains("cannot hold text"));
    }

    #[test]
    fn overwrite_and_upsert() {
        let mut s = setup();
        let all = cols(&["id", "email", "n"]);
        write(
            &mut s,
            "t",
            all.clone(),
            vec![v(1, "a", 1), v(2, "b", 2)],
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap();
        write(
            &mut s,
            "t",
            all.clone(),
            vec![v(7, "z", 7)],
            WriteMode::Overwrite,
            vec![],
            0,
        )
        .unwrap();
        assert_eq!(read(&s, "t", None, None, None).unwrap().rows.len(), 1);

        assert_eq!(
            write(
                &mut s,
                "t",
                all.clone(),
                vec![],
                WriteMode::Upsert,
                vec![],
                0
            )
            .unwrap_err()
            .kind(),
            "invalid-input"
        );
        write(
            &mut s,
            "t",
            all.clone(),
            vec![v(7, "z", 70), v(8, "y", 8)],
            WriteMode::Upsert,
            cols(&["id"]),
            0,
        )
        .unwrap();
        write(
            &mut s,
            "t",
            cols(&["email", "n"]),
            vec![vec![Value::Text("y".into()), Value::Integer(80)]],
            WriteMode::Upsert,
            cols(&["email"]),
            0,
        )
        .unwrap();
        let b = read(&s, "t", None, None, None).unwrap();
        assert_eq!(b.rows.len(), 2);
        assert!(matches!(b.rows[0][2], Value::Integer(70)));
        assert!(matches!(b.rows[1][2], Value::Integer(80)));
        let e = write(
            &mut s,
            "t",
            cols(&["n"]),
            vec![],
            WriteMode::Upsert,
            cols(&["email"]),
            0,
        )
        .unwrap_err();
        assert!(e.message().contains("must be among the columns written"));
    }

    #[test]
    fn batches_with_cursor() {
        let mut s = setup();
        let rows: Vec<_> = (1..=5).map(|i| v(i, "e", i)).collect();
        write(
            &mut s,
            "t",
            cols(&["id", "email", "n"]),
            rows,
            WriteMode::Append,
            vec![],
            0,
        )
        .unwrap();
        let (mut seen, mut cursor, mut batches) = (0, None, 0);
        loop {
            let b = read(&s, "t", Some(cols(&["n"])), cursor, Some(2)).unwrap();
            assert_eq!(b.columns.len(), 1);
            seen += b.rows_read;
            batches += 1;
            match b.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!((seen, batches), (5, 3));
        assert_eq!(ids(&s).len(), 5);
        assert_eq!(
            read(&s, "t", None, Some("1@other".into()), None)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
        assert_eq!(
            read(&s, "t", None, None, Some(0)).unwrap_err().kind(),
            "invalid-input"
        );
    }
}
