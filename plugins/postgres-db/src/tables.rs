//! `list-tables` and `create-table`, and the table metadata `read-rows` and
//! `write-rows` work from, read from PostgreSQL's catalogue. Tables are
//! those of the session's current schema (the first of its `search_path`,
//! normally `public`); names match exactly, else ignoring case when only one
//! table has that name.

use paddock_sdk::db::{Column, ColumnDef, TableInfo, ValueType};
use paddock_sdk::{Error, Result};
use postgres_protocol::Oid;
use postgres_protocol::escape::escape_identifier;

use crate::Db;
use crate::migrate::VERSION_TABLE;
use crate::value::{type_name_of, value_type};
use crate::wire::text;

/// A column as PostgreSQL declares it.
#[derive(Debug, Clone)]
pub struct Col {
    pub name: String,
    /// `format_type`: `character varying(20)`, `timestamp with time zone`.
    pub type_name: String,
    pub type_oid: Oid,
    pub not_null: bool,
    /// Position in the primary key, from 1; 0 when not part of it.
    pub pk: u32,
}

impl Col {
    pub fn value_type(&self) -> ValueType {
        value_type(self.type_oid, &self.type_name)
    }

    pub fn column(&self) -> Column {
        Column {
            name: self.name.clone(),
            type_name: self.type_name.clone(),
            value_type: self.value_type(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// Without generated columns, which cannot be written.
    pub columns: Vec<Col>,
}

/// `"name"`, quoted for SQL.
pub fn quote(name: &str) -> String {
    escape_identifier(name)
}

const COLUMNS: &str = "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
     a.atttypid::int8, a.attnotnull, coalesce((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n) \
     WHERE k.attnum = a.attnum), 0)::int8 \
     FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
          AND a.attgenerated = '' \
     LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> $1 \
       AND ($2::text IS NULL OR lower(c.relname) = lower($2::text)) \
     ORDER BY c.relname, a.attnum";

fn load_all(db: &mut Db, name: Option<&str>) -> Result<Vec<Table>> {
    let out = db.exec(COLUMNS, &[Some(VERSION_TABLE), name])?;
    let mut tables: Vec<Table> = Vec::new();
    for row in out.rows {
        let cell = |i: usize| row[i].as_deref().map(text).unwrap_or_default();
        let table = cell(0);
        let col = Col {
            name: cell(1),
            type_name: cell(2),
            type_oid: cell(3).parse().unwrap_or(0),
            not_null: cell(4) == "t",
            pk: cell(5).parse().unwrap_or(0),
        };
        match tables.last_mut() {
            Some(t) if t.name == table => t.columns.push(col),
            _ => tables.push(Table {
                name: table,
                columns: vec![col],
            }),
        }
    }
    Ok(tables)
}

/// The user table `name`, if any (see the module doc).
pub fn find(db: &mut Db, name: &str) -> Result<Option<Table>> {
    let mut found = load_all(db, Some(name))?;
    if let Some(i) = found.iter().position(|t| t.name == name) {
        return Ok(Some(found.swap_remove(i)));
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(Error::invalid_input(format!(
            "several tables are named '{name}' but for case ({}); give the exact name",
            found
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The user table `name`; `not-found` when it does not exist.
pub fn load(db: &mut Db, name: &str) -> Result<Table> {
    find(db, name)?.ok_or_else(|| {
        Error::not_found(format!(
            "table '{name}' does not exist: create it with create-table or CREATE TABLE"
        ))
    })
}

/// The user tables of the current schema (not the version table), by name.
pub fn list(db: &mut Db) -> Result<Vec<Table>> {
    load_all(db, None)
}

impl Table {
    /// The table's column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Distinct column indexes of `names`, in the order given.
    pub fn col_indexes(&self, names: &[String]) -> Result<Vec<usize>> {
        paddock_sdk::db::column_indexes(&self.name, &self.column_names(), names)
    }

    /// The primary key's column indexes, in key order.
    pub fn pk(&self) -> Vec<usize> {
        let mut pk: Vec<usize> = (0..self.columns.len())
            .filter(|&i| self.columns[i].pk > 0)
            .collect();
        pk.sort_by_key(|&i| self.columns[i].pk);
        pk
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
                    nullable: !c.not_null && c.pk == 0,
                    primary_key: c.pk > 0,
                })
                .collect(),
        }
    }
}

/// The `CREATE TABLE` of a portable definition: the types of
/// [`type_name_of`], key columns NOT NULL, one `PRIMARY KEY (…)`.
pub fn create_sql(info: &TableInfo) -> Result<String> {
    if info.name.is_empty() {
        return Err(Error::invalid_input("the table needs a name"));
    }
    if info.columns.is_empty() {
        return Err(Error::invalid_input(format!(
            "table '{}' needs at least one column",
            info.name
        )));
    }
    let mut parts = Vec::with_capacity(info.columns.len() + 1);
    for c in &info.columns {
        if c.name.is_empty() {
            return Err(Error::invalid_input(format!(
                "a column of table '{}' has no name",
                info.name
            )));
        }
        let mut part = format!("{} {}", quote(&c.name), type_name_of(c.value_type));
        if c.primary_key || !c.nullable {
            part.push_str(" NOT NULL");
        }
        parts.push(part);
    }
    let keys: Vec<String> = info
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| quote(&c.name))
        .collect();
    if !keys.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", keys.join(", ")));
    }
    Ok(format!(
        "CREATE TABLE {} ({})",
        quote(&info.name),
        parts.join(", ")
    ))
}

/// Creates a table from a portable definition; `already-exists` (SQLSTATE
/// 42P07) when it is there.
pub fn create(db: &mut Db, info: &TableInfo) -> Result<()> {
    let sql = create_sql(info)?;
    if let Some(old) = find(db, &info.name)? {
        return Err(Error::already_exists(format!(
            "table '{}' already exists",
            old.name
        )));
    }
    db.simple(&sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, vt: ValueType, nullable: bool, pk: bool) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            value_type: vt,
            nullable,
            primary_key: pk,
        }
    }

    #[test]
    fn create_statements() {
        let sql = create_sql(&TableInfo {
            name: "Users".into(),
            columns: vec![
                def("id", ValueType::Integer, false, true),
                def("e\"mail", ValueType::Text, true, false),
                def("meta", ValueType::Json, false, false),
                def("at", ValueType::Timestamp, true, false),
            ],
        })
        .unwrap();
        assert_eq!(
            sql,
            "CREATE TABLE \"Users\" (\"id\" bigint NOT NULL, \"e\"\"mail\" text, \"meta\" jsonb NOT NULL, \"at\" timestamptz, PRIMARY KEY (\"id\"))"
        );
        let e = create_sql(&TableInfo {
            name: "x".into(),
            columns: vec![],
        })
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
    }
}
