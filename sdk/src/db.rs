//! The `db-driver` world: implement [`Driver`] (its `describe` returns the [`Manifest`]), then
//! `paddock_sdk::export_db_driver!(YourType);`.

pub use crate::bindings::db::export_db_driver;
pub use crate::bindings::db::exports::paddock::driver::db::{
    Branch, Column, ColumnDef, ExecuteResult, Guest as Driver, MigrateOptions, MigrateReport,
    Migration, MigrationState, MigrationStatus, RowBatch, RowSet, TableInfo, Value, ValueType,
    WriteMode, WriteResult,
};
pub use crate::{
    Capabilities, Concurrency, Domain, Error, FolderAccess, HealthReport, Manifest, Result, Setting,
};

/// The [`ValueType`] of a declared column type name, by the first rule that
/// matches its lowercase text: SQLite's affinity rules with PostgreSQL's type
/// names folded in (`jsonb` is json, `bigserial` integer, `bytea` bytes,
/// `timestamptz` timestamp, `numeric` float). Every db driver types columns
/// by these rules, so a table reads the same through any of them.
pub fn value_type_of(type_name: &str) -> ValueType {
    let t = type_name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if t.is_empty() || has(&["interval", "point", "any"]) {
        ValueType::Unknown
    } else if has(&["json"]) {
        ValueType::Json
    } else if has(&["bool"]) {
        ValueType::Boolean
    } else if has(&["int", "serial"]) {
        ValueType::Integer
    } else if has(&["real", "floa", "doub", "numeric", "decimal"]) {
        ValueType::Float
    } else if has(&["char", "clob", "text", "uuid", "string"]) {
        ValueType::Text
    } else if has(&["blob", "bytea", "binary"]) {
        ValueType::Bytes
    } else if has(&["timestamp", "datetime", "date", "time"]) {
        ValueType::Timestamp
    } else {
        ValueType::Unknown
    }
}

pub use crate::columns::{column_index, column_indexes, write_columns};
pub use crate::migrations::{AppliedMigration, run_migrations};
