//! Stored values ([`Cell`]), their conversion to and from the WIT `value`,
//! and the loose typing of columns: a column's declared type name maps to a
//! [`ValueType`] (SQLite-style affinity, PostgreSQL names included) and
//! values are coerced to it on write, as a typed database would.

use paddock_sdk::db::{Value, ValueType};
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Json(String),
    Timestamp(String),
}

impl From<Value> for Cell {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Cell::Null,
            Value::Boolean(b) => Cell::Bool(b),
            Value::Integer(i) => Cell::Int(i),
            Value::Float(f) => Cell::Float(f),
            Value::Text(t) => Cell::Text(t),
            Value::Bytes(b) => Cell::Bytes(b),
            Value::Json(j) => Cell::Json(j),
            Value::Timestamp(t) => Cell::Timestamp(t),
        }
    }
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Self {
        match c {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Boolean(b),
            Cell::Int(i) => Value::Integer(i),
            Cell::Float(f) => Value::Float(f),
            Cell::Text(t) => Value::Text(t),
            Cell::Bytes(b) => Value::Bytes(b),
            Cell::Json(j) => Value::Json(j),
            Cell::Timestamp(t) => Value::Timestamp(t),
        }
    }
}

impl Cell {
    /// The type a result column gets when only the value is known (`SELECT 1`).
    pub fn value_type(&self) -> ValueType {
        match self {
            Cell::Null => ValueType::Unknown,
            Cell::Bool(_) => ValueType::Boolean,
            Cell::Int(_) => ValueType::Integer,
            Cell::Float(_) => ValueType::Float,
            Cell::Text(_) => ValueType::Text,
            Cell::Bytes(_) => ValueType::Bytes,
            Cell::Json(_) => ValueType::Json,
            Cell::Timestamp(_) => ValueType::Timestamp,
        }
    }

    /// A short description for error messages (`text 'abc'`).
    pub fn describe(&self) -> String {
        let clip = |s: &str| s.chars().take(40).collect::<String>();
        match self {
            Cell::Null => "NULL".into(),
            Cell::Bool(b) => format!("boolean {b}"),
            Cell::Int(i) => format!("integer {i}"),
            Cell::Float(f) => format!("float {f}"),
            Cell::Text(t) => format!("text '{}'", clip(t)),
            Cell::Bytes(b) => format!("{} bytes", b.len()),
            Cell::Json(j) => format!("json {}", clip(j)),
            Cell::Timestamp(t) => format!("timestamp '{t}'"),
        }
    }
}

/// Column types follow the SDK's portable rules, shared by every db driver.
pub use paddock_sdk::db::value_type_of as type_of;

/// The type name `create-table` gives a portable column.
pub fn type_name_of(vt: ValueType) -> &'static str {
    match vt {
        ValueType::Boolean => "BOOLEAN",
        ValueType::Integer => "INTEGER",
        ValueType::Float => "REAL",
        ValueType::Text => "TEXT",
        ValueType::Bytes => "BLOB",
        ValueType::Json => "JSON",
        ValueType::Timestamp => "TIMESTAMP",
        ValueType::Unknown => "ANY",
    }
}

/// `cell` as stored in a column of type `vt`; `None` when it does not fit.
/// Nullability is the caller's business.
pub fn coerce(vt: ValueType, cell: Cell) -> Option<Cell> {
    use Cell::*;
    Some(match (vt, cell) {
        (_, Null) => Null,
        (ValueType::Unknown, c) => c,
        (ValueType::Boolean, Bool(b)) => Bool(b),
        (ValueType::Boolean, Int(i @ (0 | 1))) => Bool(i == 1),
        (ValueType::Integer, Int(i)) => Int(i),
        (ValueType::Integer, Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Int(f as i64),
        (ValueType::Float, Float(f)) => Float(f),
        (ValueType::Float, Int(i)) => Float(i as f64),
        (ValueType::Text, Text(t)) => Text(t),
        (ValueType::Bytes, Bytes(b)) => Bytes(b),
        (ValueType::Json, Json(j) | Text(j)) => {
            serde_json::from_str::<serde::de::IgnoredAny>(&j).ok()?;
            Json(j)
        }
        (ValueType::Timestamp, Timestamp(t) | Text(t)) => Timestamp(t),
        _ => return None,
    })
}

/// `coerce`, failing with a message that names the column.
pub fn coerce_for(column: &str, type_name: &str, vt: ValueType, cell: Cell) -> Result<Cell> {
    let what = cell.describe();
    coerce(vt, cell).ok_or_else(|| {
        Error::invalid_input(format!(
            "column '{column}' ({type_name}) cannot hold {what}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity() {
        for (name, vt) in [
            ("INTEGER", ValueType::Integer),
            ("bigserial", ValueType::Integer),
            ("VARCHAR(255)", ValueType::Text),
            ("double precision", ValueType::Float),
            ("jsonb", ValueType::Json),
            ("timestamp with time zone", ValueType::Timestamp),
            ("BYTEA", ValueType::Bytes),
            ("boolean", ValueType::Boolean),
            ("", ValueType::Unknown),
            ("interval", ValueType::Unknown),
        ] {
            assert_eq!(type_of(name), vt, "{name}");
        }
        for vt in [
            ValueType::Boolean,
            ValueType::Json,
            ValueType::Bytes,
            ValueType::Unknown,
        ] {
            assert_eq!(type_of(type_name_of(vt)), vt);
        }
    }

    #[test]
    fn coercion() {
        assert_eq!(
            coerce(ValueType::Float, Cell::Int(2)),
            Some(Cell::Float(2.0))
        );
        assert_eq!(
            coerce(ValueType::Boolean, Cell::Int(1)),
            Some(Cell::Bool(true))
        );
        assert_eq!(
            coerce(ValueType::Json, Cell::Text("{\"a\":1}".into())),
            Some(Cell::Json("{\"a\":1}".into()))
        );
        assert_eq!(coerce(ValueType::Json, Cell::Text("{".into())), None);
        assert_eq!(coerce(ValueType::Integer, Cell::Text("1".into())), None);
        assert_eq!(coerce(ValueType::Integer, Cell::Null), Some(Cell::Null));
        let e =
            coerce_for("age", "INTEGER", ValueType::Integer, Cell::Text("x".into())).unwrap_err();
        assert_eq!(e.message(), "column 'age' (INTEGER) cannot hold text 'x'");
    }
}
