//! Runs parsed statements against the table store.

use paddock_sdk::db::{Column, Value};
use paddock_sdk::state::Store;
use paddock_sdk::{Error, Result};

use super::ast::{Cond, Expr, Items, Stmt};
use crate::table::{self, TableDef};
use crate::value::{Cell, coerce_for, type_name_of};

#[derive(Debug, Default)]
pub struct Outcome {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Rows the statement looked at (as D1 and PlanetScale count them).
    pub rows_read: u64,
    pub rows_affected: u64,
}

pub fn run(store: &mut dyn Store, stmt: Stmt, params: &[Cell], now_ms: u64) -> Result<Outcome> {
    let bind = |e: &Expr| match e {
        Expr::Lit(c) => c.clone(),
        Expr::Param(i) => params[*i].clone(),
    };
    let affected = |n: usize| {
        Ok(Outcome {
            rows_affected: n as u64,
            ..Outcome::default()
        })
    };
    match stmt {
        Stmt::Values(items) => {
            let cells: Vec<Cell> = items.iter().map(|(e, _)| bind(e)).collect();
            Ok(Outcome {
                columns: items
                    .iter()
                    .zip(&cells)
                    .map(|((_, label), c)| Column {
                        name: label.clone(),
                        type_name: if *c == Cell::Null {
                            "NULL".into()
                        } else {
                            type_name_of(c.value_type()).into()
                        },
                        value_type: c.value_type(),
                    })
                    .collect(),
                rows: vec![cells.into_iter().map(Value::from).collect()],
                rows_read: 0,
                rows_affected: 0,
            })
        }
        Stmt::Select {
            table,
            items,
            filter,
            limit,
        } => {
            let def = table::load(store, &table)?;
            let filter = resolve_filter(&def, &filter, &bind)?;
            let limit = match limit.as_ref().map(&bind) {
                None => u64::MAX,
                Some(Cell::Int(n)) if n >= 0 => n as u64,
                Some(other) => {
                    return Err(Error::invalid_input(format!(
                        "LIMIT needs a non-negative integer, not {}",
                        other.describe()
                    )));
                }
            };
            let (idx, mut columns) = match &items {
                Items::Star => (
                    (0..def.columns.len()).collect(),
                    def.result_columns(&(0..def.columns.len()).collect::<Vec<_>>()),
                ),
                Items::Count(_) => (vec![], vec![]),
                Items::Columns(cols) => {
                    let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
                    let idx: Vec<usize> = names
                        .iter()
                        .map(|n| def.col_index(n))
                        .collect::<Result<_>>()?;
                    let mut columns = def.result_columns(&idx);
                    for (c, (_, label)) in columns.iter_mut().zip(cols) {
                        c.name = label.clone();
                    }
                    (idx, columns)
                }
            };
            // LIMIT cuts result rows; COUNT(*) has one, whatever it counts.
            let counting = matches!(items, Items::Count(_));
            let (row_limit, limit) = if counting {
                (u64::MAX, limit.min(1))
            } else {
                (limit, limit)
            };
            let (mut rows, mut read, mut count) = (Vec::new(), 0u64, 0u64);
            table::for_each(store, &def, |_, row| {
                if count >= row_limit {
                    return Ok(false);
                }
                read += 1;
                if matches(&row, &filter) {
                    count += 1;
                    if !counting {
                        rows.push(idx.iter().map(|&i| Value::from(row[i].clone())).collect());
                    }
                }
                Ok(true)
            })?;
            if let Items::Count(label) = items {
                columns = vec![Column {
                    name: label,
                    type_name: "INTEGER".into(),
                    value_type: paddock_sdk::db::ValueType::Integer,
                }];
                rows = vec![vec![Value::Integer(count as i64)]];
                rows.truncate(limit as usize);
            }
            Ok(Outcome {
                columns,
                rows,
                rows_read: read,
                rows_affected: 0,
            })
        }
        Stmt::Insert {
            table,
            columns,
            rows,
        } => {
            let mut def = table::load(store, &table)?;
            let idx = match columns {
                Some(names) => def.col_indexes(&names)?,
                None => (0..def.columns.len()).collect(),
            };
            for (n, exprs) in rows.iter().enumerate() {
                if exprs.len() != idx.len() {
                    return Err(Error::invalid_input(format!(
                        "VALUES row {} has {} values for {} columns",
                        n + 1,
                        exprs.len(),
                        idx.len()
                    )));
                }
                let mut given = vec![None; def.columns.len()];
                for (&i, e) in idx.iter().zip(exprs) {
                    given[i] = Some(bind(e));
                }
                let row = def.complete_row(given, now_ms)?;
                table::insert(store, &mut def, row)?;
            }
            table::save(store, &def);
            affected(rows.len())
        }
        Stmt::Update {
            table,
            sets,
            filter,
        } => {
            let def = table::load(store, &table)?;
            let filter = resolve_filter(&def, &filter, &bind)?;
            let mut changes = Vec::with_capacity(sets.len());
            for (name, e) in &sets {
                let i = def.col_index(name)?;
                let c = &def.columns[i];
                let v = coerce_for(&c.name, &c.type_name, c.value_type(), bind(e))?;
                if v == Cell::Null && !c.nullable {
                    return Err(Error::invalid_input(format!(
                        "column '{}' of table '{}' is NOT NULL",
                        c.name, def.name
                    )));
                }
                changes.push((i, v));
            }
            let hits = matching_rows(store, &def, &filter)?;
            for (rowid, old) in &hits {
                let mut new = old.clone();
                for (i, v) in &changes {
                    new[*i] = v.clone();
                }
                table::replace(store, &def, *rowid, old, new)?;
            }
            affected(hits.len())
        }
        Stmt::Delete { table, filter } => {
            let def = table::load(store, &table)?;
            let filter = resolve_filter(&def, &filter, &bind)?;
            let hits = matching_rows(store, &def, &filter)?;
            for (rowid, row) in &hits {
                table::remove(store, &def, *rowid, row);
            }
            affected(hits.len())
        }
        Stmt::CreateTable { def, if_not_exists } => match table::find(store, &def.name)? {
            Some(_) if if_not_exists => affected(0),
            _ => table::create(store, &def).and(affected(0)),
        },
        Stmt::DropTable { table, if_exists } => match table::find(store, &table)? {
            Some(def) => {
                table::drop_table(store, &def);
                affected(0)
            }
            None if if_exists => affected(0),
            None => table::load(store, &table).and(affected(0)),
        },
        Stmt::AddColumn { table, column } => {
            let mut def = table::load(store, &table)?;
            if def.col_index(&column.name).is_ok() {
                return Err(Error::already_exists(format!(
                    "table '{}' already has column '{}'",
                    def.name, column.name
                )));
            }
            if column.primary_key || column.auto {
                return Err(Error::unsupported(
                    "ADD COLUMN cannot add a key or automatic column",
                ));
            }
            let has_rows = !table::scan(store, &def, None, 1)?.is_empty();
            if !column.nullable && column.default.is_none() && has_rows {
                return Err(Error::invalid_input(format!(
                    "cannot add NOT NULL column '{}' without a DEFAULT to table '{}', which has rows",
                    column.name, def.name
                )));
            }
            let mut columns = def.columns.clone();
            columns.push(column);
            def.columns = TableDef::new(&def.name, columns)?.columns;
            table::save(store, &def);
            affected(0)
        }
    }
}

/// `(column index, value)` pairs, the values coerced to the column types.
fn resolve_filter(
    def: &TableDef,
    filter: &[Cond],
    bind: &dyn Fn(&Expr) -> Cell,
) -> Result<Vec<(usize, Cell)>> {
    filter
        .iter()
        .map(|c| {
            let i = def.col_index(&c.column)?;
            let col = &def.columns[i];
            Ok((
                i,
                coerce_for(&col.name, &col.type_name, col.value_type(), bind(&c.value))?,
            ))
        })
        .collect()
}

/// SQL equality: NULL equals nothing, not even NULL.
fn matches(row: &[Cell], filter: &[(usize, Cell)]) -> bool {
    filter
        .iter()
        .all(|(i, v)| *v != Cell::Null && row[*i] == *v)
}

fn matching_rows(
    store: &dyn Store,
    def: &TableDef,
    filter: &[(usize, Cell)],
) -> Result<Vec<(u64, Vec<Cell>)>> {
    let mut hits = Vec::new();
    table::for_each(store, def, |rowid, row| {
        if matches(&row, filter) {
            hits.push((rowid, row));
        }
        Ok(true)
    })?;
    Ok(hits)
}
