//! Tables in the state store: definitions, rows by rowid, and the primary
//! key index. Every write goes through here so the index stays true.

use paddock_sdk::db::{Column, ColumnDef, TableInfo, ValueType};
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;
use crate::value::{Cell, coerce_for, type_name_of, type_of};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    Value(Cell),
    /// `DEFAULT CURRENT_TIMESTAMP`: the time of the insert.
    CurrentTimestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColDef {
    pub name: String,
    /// The declared type (`VARCHAR(20)`); its value type follows from it.
    pub type_name: String,
    pub nullable: bool,
    pub primary_key: bool,
    pub default: Option<DefaultValue>,
    /// Filled with the next integer when an insert leaves it out or NULL
    /// (SQLite's `INTEGER PRIMARY KEY`, PostgreSQL's `serial` and identity).
    pub auto: bool,
}

impl ColDef {
    pub fn value_type(&self) -> ValueType {
        type_of(&self.type_name)
    }

    pub fn column(&self) -> Column {
        Column {
            name: self.name.clone(),
            type_name: self.type_name.clone(),
            value_type: self.value_type(),
        }
    }

    fn from_portable(c: ColumnDef) -> Self {
        ColDef {
            name: c.name,
            type_name: type_name_of(c.value_type).into(),
            nullable: c.nullable && !c.primary_key,
            primary_key: c.primary_key,
            default: None,
            auto: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<ColDef>,
    pub next_rowid: u64,
    pub next_auto: i64,
}

/// Table and column names: SQL identifiers, which also keeps `/` out of the
/// state keys.
pub fn check_ident(what: &str, name: &str) -> Result<()> {
    if paddock_sdk::names::is_identifier(name, 63) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} name '{name}' is invalid: use 1 to 63 letters, digits or '_', not starting with a digit"
        )))
    }
}

impl TableDef {
    /// A checked definition: valid unique names, one primary key at most
    /// (possibly over several columns), key columns not null.
    pub fn new(name: &str, mut columns: Vec<ColDef>) -> Result<TableDef> {
        check_ident("table", name)?;
        if columns.is_empty() {
            return Err(Error::invalid_input(format!(
                "table '{name}' needs at least one column"
            )));
        }
        for (i, c) in columns.iter().enumerate() {
            check_ident("column", &c.name)?;
            if columns[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&c.name))
            {
                return Err(Error::invalid_input(format!(
                    "table '{name}' names column '{}' twice",
                    c.name
                )));
            }
        }
        let pk: Vec<usize> = (0..columns.len())
            .filter(|&i| columns[i].primary_key)
            .collect();
        for c in columns.iter_mut() {
            c.nullable &= !c.primary_key;
            c.auto |= c.type_name.to_ascii_lowercase().contains("serial");
        }
        if let [only] = pk[..]
            && columns[only].value_type() == ValueType::Integer
        {
            columns[only].auto = true;
        }
        if let Some(c) = columns
            .iter()
            .find(|c| c.auto && c.value_type() != ValueType::Integer)
        {
            return Err(Error::invalid_input(format!(
                "column '{}' is filled automatically, so it must be an integer, not {}",
                c.name, c.type_name
            )));
        }
        Ok(TableDef {
            name: name.to_owned(),
            columns,
            next_rowid: 1,
            next_auto: 1,
        })
    }

    pub fn from_portable(info: TableInfo) -> Result<TableDef> {
        let columns = info
            .columns
            .into_iter()
            .map(ColDef::from_portable)
            .collect();
        TableDef::new(&info.name, columns)
    }

    pub fn info(&self) -> TableInfo {
        TableInfo {
            name: self.name.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnDef {
                    name: c.name.clone(),
                    value_type: c.value_type(),
                    nullable: c.nullable,
                    primary_key: c.primary_key,
                })
                .collect(),
        }
    }

    /// The table's column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    pub fn col_index(&self, name: &str) -> Result<usize> {
        paddock_sdk::db::column_index(&self.name, &self.column_names(), name)
    }

    /// Distinct column indexes of `names`, in the order given.
    pub fn col_indexes(&self, names: &[String]) -> Result<Vec<usize>> {
        paddock_sdk::db::column_indexes(&self.name, &self.column_names(), names)
    }

    pub fn pk(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| self.columns[i].primary_key)
            .collect()
    }

    pub fn result_columns(&self, idx: &[usize]) -> Vec<Column> {
        idx.iter().map(|&i| self.columns[i].column()).collect()
    }

    /// A full row from the values given per column (`None`: not given):
    /// defaults and automatic keys filled in, values coerced to the column
    /// types, NOT NULL checked.
    pub fn complete_row(&mut self, given: Vec<Option<Cell>>, now_ms: u64) -> Result<Vec<Cell>> {
        let mut row = Vec::with_capacity(self.columns.len());
        for (c, v) in self.columns.iter().zip(given) {
            let v = match (v, &c.default) {
                (Some(v), _) => v,
                (None, Some(DefaultValue::Value(d))) => d.clone(),
                (None, Some(DefaultValue::CurrentTimestamp)) => Cell::Timestamp(rfc3339(now_ms)),
                (None, None) => Cell::Null,
            };
            let v = match v {
                Cell::Null if c.auto => {
                    self.next_auto += 1;
                    Cell::Int(self.next_auto - 1)
                }
                v => coerce_for(&c.name, &c.type_name, c.value_type(), v)?,
            };
            if let (true, Cell::Int(i)) = (c.auto, &v) {
                self.next_auto = self.next_auto.max(i.saturating_add(1));
            }
            if v == Cell::Null && !c.nullable {
                return Err(Error::invalid_input(format!(
                    "column '{}' of table '{}' is NOT NULL and got no value",
                    c.name, self.name
                )));
            }
            row.push(v);
        }
        Ok(row)
    }

    /// The index key of a row's primary key; none for tables without one.
    fn key_of(&self, row: &[Cell]) -> Option<String> {
        let pk = self.pk();
        (!pk.is_empty()).then(|| key_json(pk.iter().map(|&i| &row[i])))
    }

    fn describe_key(&self, row: &[Cell]) -> String {
        let pk = self.pk();
        let names: Vec<&str> = pk.iter().map(|&i| self.columns[i].name.as_str()).collect();
        let vals: Vec<String> = pk.iter().map(|&i| row[i].describe()).collect();
        format!("({}) = ({})", names.join(", "), vals.join(", "))
    }

    fn check_key_free(&self, store: &dyn Store, row: &[Cell]) -> Result<()> {
        match self.key_of(row) {
            Some(k) if store.get(&layout::index_key(&self.name, &k)).is_some() => {
                Err(Error::conflict(format!(
                    "table '{}' already has a row with primary key {}",
                    self.name,
                    self.describe_key(row)
                )))
            }
            _ => Ok(()),
        }
    }
}

/// The JSON of some cells, used as an index key and to compare keys.
pub fn key_json<'a>(cells: impl IntoIterator<Item = &'a Cell>) -> String {
    serde_json::to_string(&cells.into_iter().collect::<Vec<_>>()).expect("cells serialise")
}

pub fn find(store: &dyn Store, name: &str) -> Result<Option<TableDef>> {
    layout::load(store, &layout::table_key(name))
}

pub fn load(store: &dyn Store, name: &str) -> Result<TableDef> {
    find(store, name)?.ok_or_else(|| {
        Error::not_found(format!(
            "table '{name}' does not exist: create it with create-table or CREATE TABLE"
        ))
    })
}

pub fn save(store: &mut dyn Store, def: &TableDef) {
    layout::save(store, &layout::table_key(&def.name), def);
}

pub fn create(store: &mut dyn Store, def: &TableDef) -> Result<()> {
    if let Some(old) = find(store, &def.name)? {
        return Err(Error::already_exists(format!(
            "table '{}' already exists",
            old.name
        )));
    }
    save(store, def);
    Ok(())
}

pub fn list(store: &dyn Store) -> Result<Vec<TableDef>> {
    let mut out = Vec::new();
    for key in store.all_keys("t/") {
        out.extend(layout::load::<TableDef>(store, &key)?);
    }
    Ok(out)
}

/// Removes every row (and index entry) of a table, keeping its definition.
pub fn clear(store: &mut dyn Store, def: &TableDef) {
    for prefix in [
        layout::rows_prefix(&def.name),
        layout::index_prefix(&def.name),
    ] {
        for key in store.all_keys(&prefix) {
            store.delete(&key);
        }
    }
}

pub fn drop_table(store: &mut dyn Store, def: &TableDef) {
    clear(store, def);
    store.delete(&layout::table_key(&def.name));
}

/// Up to `limit` rows after rowid `after`, in rowid order, each as wide as
/// the table (rows written before an `ADD COLUMN` get its default or NULL).
pub fn scan(
    store: &dyn Store,
    def: &TableDef,
    after: Option<u64>,
    limit: u32,
) -> Result<Vec<(u64, Vec<Cell>)>> {
    let after = after.map(|r| layout::row_key(&def.name, r));
    let keys = store.keys(&layout::rows_prefix(&def.name), after.as_deref(), limit);
    keys.iter()
        .map(|key| Ok((layout::rowid_of(key)?, read_row(store, def, key)?)))
        .collect()
}

/// Row `rowid`, which the caller knows exists (it came from the index).
pub fn row(store: &dyn Store, def: &TableDef, rowid: u64) -> Result<Vec<Cell>> {
    read_row(store, def, &layout::row_key(&def.name, rowid))
}

fn read_row(store: &dyn Store, def: &TableDef, key: &str) -> Result<Vec<Cell>> {
    let mut row: Vec<Cell> =
        layout::load(store, key)?.ok_or_else(|| layout::corrupt(key, "row is missing"))?;
    for c in &def.columns[row.len().min(def.columns.len())..] {
        row.push(match &c.default {
            Some(DefaultValue::Value(v)) => v.clone(),
            _ => Cell::Null,
        });
    }
    Ok(row)
}

/// Every row, in batches, to `visit`; stops early when it returns false.
pub fn for_each(
    store: &dyn Store,
    def: &TableDef,
    mut visit: impl FnMut(u64, Vec<Cell>) -> Result<bool>,
) -> Result<()> {
    let mut after = None;
    loop {
        let batch = scan(store, def, after, 1000)?;
        let done = batch.len() < 1000;
        for (rowid, row) in batch {
            after = Some(rowid);
            if !visit(rowid, row)? {
                return Ok(());
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// Adds a complete row; `conflict` when its primary key is taken. The caller
/// saves `def` afterwards (its counters moved).
pub fn insert(store: &mut dyn Store, def: &mut TableDef, row: Vec<Cell>) -> Result<u64> {
    def.check_key_free(store, &row)?;
    let rowid = def.next_rowid;
    def.next_rowid += 1;
    if let Some(k) = def.key_of(&row) {
        store.set(
            &layout::index_key(&def.name, &k),
            rowid.to_string().as_bytes(),
        );
    }
    layout::save(store, &layout::row_key(&def.name, rowid), &row);
    Ok(rowid)
}

/// The rowid holding primary key `key_json`, if any.
pub fn lookup(store: &dyn Store, def: &TableDef, key_json: &str) -> Result<Option<u64>> {
    let key = layout::index_key(&def.name, key_json);
    store
        .get(&key)
        .map(|v| {
            std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| layout::corrupt(&key, "bad rowid"))
        })
        .transpose()
}

/// Replaces row `rowid` (now `old`) by `new`, moving its index entry when
/// the primary key changes.
pub fn replace(
    store: &mut dyn Store,
    def: &TableDef,
    rowid: u64,
    old: &[Cell],
    new: Vec<Cell>,
) -> Result<()> {
    let (old_key, new_key) = (def.key_of(old), def.key_of(&new));
    if old_key != new_key {
        def.check_key_free(store, &new)?;
        if let (Some(o), Some(n)) = (old_key, new_key) {
            store.delete(&layout::index_key(&def.name, &o));
            store.set(
                &layout::index_key(&def.name, &n),
                rowid.to_string().as_bytes(),
            );
        }
    }
    layout::save(store, &layout::row_key(&def.name, rowid), &new);
    Ok(())
}

pub fn remove(store: &mut dyn Store, def: &TableDef, rowid: u64, row: &[Cell]) {
    if let Some(k) = def.key_of(row) {
        store.delete(&layout::index_key(&def.name, &k));
    }
    store.delete(&layout::row_key(&def.name, rowid));
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    pub fn col(name: &str, type_name: &str, pk: bool) -> ColDef {
        ColDef {
            name: name.into(),
            type_name: type_name.into(),
            nullable: !pk,
            primary_key: pk,
            default: None,
            auto: false,
        }
    }

    #[test]
    fn definitions_are_checked() {
        let bad = |name: &str, cols: Vec<ColDef>| {
            TableDef::new(name, cols).unwrap_err().message().to_owned()
        };
        assert!(bad("1t", vec![col("a", "TEXT", false)]).contains("table name '1t'"));
        assert!(bad("t", vec![]).contains("at least one column"));
        assert!(bad("t", vec![col("a", "TEXT", false), col("A", "INT", false)]).contains("twice"));
        assert!(bad("t", vec![col("a/b", "TEXT", false)]).contains("column name"));
        let t = TableDef::new(
            "t",
            vec![col("id", "INTEGER", true), col("s", "bigserial", false)],
        )
        .unwrap();
        assert!(t.columns[0].auto && t.columns[1].auto && !t.columns[0].nullable);
        let t = TableDef::new(
            "t",
            vec![col("a", "INTEGER", true), col("b", "INTEGER", true)],
        )
        .unwrap();
        assert!(!t.columns[0].auto, "composite keys are not automatic");
    }

    #[test]
    fn insert_index_replace_remove() {
        let mut s = MemoryStore::new();
        let mut t = TableDef::new(
            "Users",
            vec![col("id", "INTEGER", true), col("name", "TEXT", false)],
        )
        .unwrap();
        create(&mut s, &t).unwrap();
        assert_eq!(create(&mut s, &t).unwrap_err().kind(), "already-exists");
        let r1 = t
            .complete_row(vec![None, Some(Cell::Text("ann".into()))], 0)
            .unwrap();
        assert_eq!(r1[0], Cell::Int(1));
        let id1 = insert(&mut s, &mut t, r1.clone()).unwrap();
        let r5 = t.complete_row(vec![Some(Cell::Int(5)), None], 0).unwrap();
        insert(&mut s, &mut t, r5.clone()).unwrap();
        assert_eq!(
            t.complete_row(vec![None, None], 0).unwrap()[0],
            Cell::Int(6)
        );
        let dup = t.complete_row(vec![Some(Cell::Int(5)), None], 0).unwrap();
        let e = insert(&mut s, &mut t, dup).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                "conflict",
                "table 'Users' already has a row with primary key (id) = (integer 5)"
            )
        );

        let moved = vec![Cell::Int(5), Cell::Text("x".into())];
        assert_eq!(
            replace(&mut s, &t, id1, &r1, moved).unwrap_err().kind(),
            "conflict"
        );
        replace(
            &mut s,
            &t,
            id1,
            &r1,
            vec![Cell::Int(9), Cell::Text("ann".into())],
        )
        .unwrap();
        assert_eq!(
            lookup(&s, &t, &key_json([&Cell::Int(9)])).unwrap(),
            Some(id1)
        );
        assert_eq!(lookup(&s, &t, &key_json([&Cell::Int(1)])).unwrap(), None);

        let rows = scan(&s, &t, None, 10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(scan(&s, &t, Some(rows[0].0), 10).unwrap().len(), 1);
        remove(&mut s, &t, rows[1].0, &rows[1].1);
        assert_eq!(
            load(&s, "users").unwrap().name,
            "Users",
            "names match case-insensitively"
        );
        drop_table(&mut s, &t);
        assert!(s.is_empty());
        assert_eq!(load(&s, "users").unwrap_err().kind(), "not-found");
    }

    #[test]
    fn not_null_and_types() {
        let mut t =
            TableDef::new("t", vec![col("a", "TEXT", false), col("b", "REAL", false)]).unwrap();
        t.columns[0].nullable = false;
        assert!(
            t.complete_row(vec![None, None], 0)
                .unwrap_err()
                .message()
                .contains("NOT NULL")
        );
        let row = t
            .complete_row(vec![Some(Cell::Text("x".into())), Some(Cell::Int(3))], 0)
            .unwrap();
        assert_eq!(row[1], Cell::Float(3.0));
        t.columns[1].default = Some(DefaultValue::CurrentTimestamp);
        t.columns[1].type_name = "TIMESTAMP".into();
        let row = t
            .complete_row(vec![Some(Cell::Text("x".into())), None], 0)
            .unwrap();
        assert_eq!(row[1], Cell::Timestamp("1970-01-01T00:00:00.000Z".into()));
    }
}
