//! The state key layout, and JSON load/save of the records under it.
//!
//! - `t/<table>` → [`crate::table::TableDef`]; `<table>` is the name in lower
//!   case, since names match case-insensitively as in SQL
//! - `r/<table>/<rowid>` → a row: the JSON array of its cells in column
//!   order; rowids are zero-padded to 20 digits so key order is insertion order
//! - `k/<table>/<key>` → the rowid holding primary key `<key>` (the JSON of
//!   the key cells), to catch collisions without scanning
//! - `v/<version>` → [`crate::migrate::Applied`], one per applied migration
//!   (20-digit zero-padded, so key order is version order)
//! - `b/<branch>` → [`crate::branches::BranchRecord`]; `n/branch` → the last
//!   branch number handed out

use paddock_sdk::{Error, Result};

pub fn table_key(table: &str) -> String {
    format!("t/{}", table.to_ascii_lowercase())
}

pub fn rows_prefix(table: &str) -> String {
    format!("r/{}/", table.to_ascii_lowercase())
}

pub fn row_key(table: &str, rowid: u64) -> String {
    format!("r/{}/{rowid:020}", table.to_ascii_lowercase())
}

/// The rowid at the end of a row key.
pub fn rowid_of(row_key: &str) -> Result<u64> {
    row_key
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| corrupt(row_key, "not a row key"))
}

pub fn index_prefix(table: &str) -> String {
    format!("k/{}/", table.to_ascii_lowercase())
}

pub fn index_key(table: &str, key_json: &str) -> String {
    format!("k/{}/{key_json}", table.to_ascii_lowercase())
}

pub fn version_key(version: u64) -> String {
    format!("v/{version:020}")
}

pub fn branch_key(name: &str) -> String {
    format!("b/{name}")
}

pub fn corrupt(key: &str, why: impl std::fmt::Display) -> Error {
    Error::vendor(
        "corrupt-state",
        format!("state entry '{key}' is unreadable: {why}"),
    )
}

pub use paddock_sdk::state::{load_json as load, save_json as save};
