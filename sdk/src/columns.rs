//! Column arguments of `read-rows` and `write-rows`, checked the same way by
//! every db driver: names resolve to a table's columns (exactly, else
//! ignoring case), none twice; an upsert names its key columns among the
//! columns written.

use crate::bindings::db::exports::paddock::driver::db::WriteMode;
use crate::{Error, Result};

/// The index in `columns` (a table's column names, in order) of `name`.
pub fn column_index(table: &str, columns: &[&str], name: &str) -> Result<usize> {
    columns
        .iter()
        .position(|c| *c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "table '{table}' has no column '{name}' (its columns: {})",
                columns.join(", ")
            ))
        })
}

/// Distinct indexes of `names` in `columns`, in the order given.
pub fn column_indexes(table: &str, columns: &[&str], names: &[String]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::with_capacity(names.len());
    for n in names {
        let i = column_index(table, columns, n)?;
        if out.contains(&i) {
            return Err(Error::invalid_input(format!("column '{n}' is named twice")));
        }
        out.push(i);
    }
    Ok(out)
}

/// The indexes of the columns a `write-rows` writes and of its key columns
/// (upsert only; empty otherwise), checked.
pub fn write_columns(
    table: &str,
    columns: &[&str],
    written: &[String],
    mode: WriteMode,
    key_columns: &[String],
) -> Result<(Vec<usize>, Vec<usize>)> {
    let idx = column_indexes(table, columns, written)?;
    if idx.is_empty() {
        return Err(Error::invalid_input(
            "columns must name the columns of the values in each row",
        ));
    }
    let key_idx = match mode {
        WriteMode::Upsert if key_columns.is_empty() => {
            return Err(Error::invalid_input(
                "upsert needs key-columns: the columns that identify a row",
            ));
        }
        WriteMode::Upsert => column_indexes(table, columns, key_columns)?,
        _ => Vec::new(),
    };
    if let Some(k) = key_idx.iter().find(|k| !idx.contains(k)) {
        return Err(Error::invalid_input(format!(
            "key column '{}' must be among the columns written",
            columns[*k]
        )));
    }
    Ok((idx, key_idx))
}
