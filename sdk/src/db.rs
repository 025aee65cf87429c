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
