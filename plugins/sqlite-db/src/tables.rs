//! `list-tables` and `create-table`, and the table metadata `read-rows` and
//! `write-rows` work from, read from SQLite's own catalogue
//! (`sqlite_schema`, `pragma_table_info`, `pragma_table_list`).

use paddock_sdk::db::{Column, ColumnDef, TableInfo, ValueType};
use paddock_sdk::{Error, Result};
use rusqlite::{Connection, OptionalExtension};

use crate::error::Sql;
use crate::migrate::VERSION_TABLE;
use crate::value::{type_name_of, type_of};

/// A column as SQLite declares it.
#[derive(Debug, Clone)]
pub struct Col {
    pub name: String,
    pub type_name: String,
    pub not_null: bool,
    /// Position in the primary key, from 1; 0 when not part of it.
    pub pk: u32,
}

impl Col {
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
}

#[derive(Debug, Clone)]
pub struct Table {
    /// The name as created.
    pub name: String,
    /// Without generated columns, which cannot be written.
    pub columns: Vec<Col>,
    pub without_rowid: bool,
}

/// `"name"`, quoted for SQL.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The user table `name` (case-insensitive, as SQL names), if any.
pub fn find(conn: &Connection, name: &str) -> Result<Option<Table>> {
    let found: Option<(String, bool)> = conn
        .query_row(
            "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name = ?1 COLLATE NOCASE",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .sql()?;
    let Some((name, without_rowid)) = found else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare(r#"SELECT name, type, "notnull", pk FROM pragma_table_info(?1) ORDER BY cid"#)
        .sql()?;
    let columns = stmt
        .query_map([&name], |r| {
            Ok(Col {
                name: r.get(0)?,
                type_name: r.get(1)?,
                not_null: r.get(2)?,
                pk: r.get(3)?,
            })
        })
        .sql()?
        .collect::<rusqlite::Result<_>>()
        .sql()?;
    Ok(Some(Table {
        name,
        columns,
        without_rowid,
    }))
}

/// The user table `name`; `not-found` when it does not exist.
pub fn load(conn: &Connection, name: &str) -> Result<Table> {
    find(conn, name)?.ok_or_else(|| {
        Error::not_found(format!(
            "table '{name}' does not exist: create it with create-table or CREATE TABLE"
        ))
    })
}

impl Table {
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

/// The user tables (not SQLite's own, not the version table), by name.
pub fn list(conn: &Connection) -> Result<Vec<Table>> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?1 ORDER BY name COLLATE NOCASE",
        )
        .sql()?;
    let names: Vec<String> = stmt
        .query_map([VERSION_TABLE], |r| r.get(0))
        .sql()?
        .collect::<rusqlite::Result<_>>()
        .sql()?;
    names.iter().map(|n| load(conn, n)).collect()
}

/// Creates a table from a portable definition. A single integer primary
/// key becomes SQLite's `INTEGER PRIMARY KEY` (the rowid: filled in when
/// left out); key columns are NOT NULL.
pub fn create(conn: &Connection, info: &TableInfo) -> Result<()> {
    if info.name.is_empty() {
        return Err(Error::invalid_input("the table needs a name"));
    }
    if info.columns.is_empty() {
        return Err(Error::invalid_input(format!(
            "table '{}' needs at least one column",
            info.name
        )));
    }
    if let Some(old) = find(conn, &info.name)? {
        return Err(Error::already_exists(format!(
            "table '{}' already exists",
            old.name
        )));
    }
    let keys: Vec<&ColumnDef> = info.columns.iter().filter(|c| c.primary_key).collect();
    let rowid_key = matches!(keys[..], [k] if k.value_type == ValueType::Integer);
    let mut parts: Vec<String> = info
        .columns
        .iter()
        .map(|c| {
            if c.name.is_empty() {
                return Err(Error::invalid_input(format!(
                    "a column of table '{}' has no name",
                    info.name
                )));
            }
            let mut part = quote(&c.name);
            let type_name = type_name_of(c.value_type);
            if !type_name.is_empty() {
                part.push(' ');
                part.push_str(type_name);
            }
            if c.primary_key && rowid_key {
                part.push_str(" PRIMARY KEY");
            } else if c.primary_key || !c.nullable {
                part.push_str(" NOT NULL");
            }
            Ok(part)
        })
        .collect::<Result<_>>()?;
    if !keys.is_empty() && !rowid_key {
        let names: Vec<String> = keys.iter().map(|k| quote(&k.name)).collect();
        parts.push(format!("PRIMARY KEY ({})", names.join(", ")));
    }
    conn.execute(
        &format!("CREATE TABLE {} ({})", quote(&info.name), parts.join(", ")),
        [],
    )
    .sql()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        Connection::open_in_memory().unwrap()
    }

    fn def(name: &str, vt: ValueType, nullable: bool, pk: bool) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            value_type: vt,
            nullable,
            primary_key: pk,
        }
    }

    #[test]
    fn create_and_list_round_trip() {
        let c = conn();
        let info = TableInfo {
            name: "Users".into(),
            columns: vec![
                def("id", ValueType::Integer, false, true),
                def("email", ValueType::Text, false, false),
                def("active", ValueType::Boolean, true, false),
                def("meta", ValueType::Json, true, false),
                def("at", ValueType::Timestamp, true, false),
                def("raw", ValueType::Bytes, true, false),
                def("score", ValueType::Float, true, false),
                def("any", ValueType::Unknown, true, false),
            ],
        };
        create(&c, &info).unwrap();
        let e = create(
            &c,
            &TableInfo {
                name: "users".into(),
                ..info.clone()
            },
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            ("already-exists", "table 'Users' already exists")
        );
        c.execute_batch(
            "CREATE TABLE k (a TEXT, b INTEGER, c, PRIMARY KEY (b, a)) WITHOUT ROWID;
             CREATE TABLE _paddock_migrations (version INTEGER PRIMARY KEY);
             CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        )
        .unwrap();
        let tables = list(&c).unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["k", "s", "Users"],
            "sqlite_sequence and the version table are hidden"
        );
        let users = tables[2].info();
        assert_eq!(users.columns.len(), info.columns.len());
        for (got, want) in users.columns.iter().zip(&info.columns) {
            assert_eq!(
                (&got.name, got.value_type, got.nullable, got.primary_key),
                (&want.name, want.value_type, want.nullable, want.primary_key)
            );
        }
        let k = &tables[0];
        assert!(k.without_rowid);
        assert_eq!(k.pk(), [1, 0], "key order, not column order");
        assert!(!k.info().columns[0].nullable);
    }

    #[test]
    fn composite_and_text_keys_are_not_null() {
        let c = conn();
        create(
            &c,
            &TableInfo {
                name: "t".into(),
                columns: vec![def("code", ValueType::Text, true, true)],
            },
        )
        .unwrap();
        let e = c.execute("INSERT INTO t VALUES (NULL)", []).unwrap_err();
        assert!(e.to_string().contains("NOT NULL"), "{e}");
        let e = create(
            &c,
            &TableInfo {
                name: "x".into(),
                columns: vec![],
            },
        )
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        let e = create(
            &c,
            &TableInfo {
                name: "x".into(),
                columns: vec![
                    def("a", ValueType::Text, true, false),
                    def("A", ValueType::Text, true, false),
                ],
            },
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            ("invalid-input", "duplicate column name: A")
        );
        assert_eq!(load(&c, "nope").unwrap_err().kind(), "not-found");
    }
}
