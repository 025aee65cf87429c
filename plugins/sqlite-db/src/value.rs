//! WIT values to SQLite values and back.
//!
//! SQLite stores five kinds of value (NULL, INTEGER, REAL, TEXT, BLOB); the
//! WIT has eight. The three SQLite lacks travel as one of the five and are
//! recognised on the way back by the column's declared type:
//!
//! | WIT value   | bound as        | read back as it when the declared type is |
//! |-------------|-----------------|-------------------------------------------|
//! | `boolean`   | INTEGER 0 or 1  | boolean (`BOOLEAN`, `BOOL`): 0 and 1 only |
//! | `json`      | TEXT            | JSON (`JSON`, `JSONB`): text and numbers  |
//! | `timestamp` | TEXT, unchanged | timestamp (`TIMESTAMP`, `DATETIME`, `DATE`): text only |
//!
//! Everything else reads back as its storage class: INTEGER → `integer`,
//! REAL → `float`, TEXT → `text`, BLOB → `bytes`. TEXT that is not valid
//! UTF-8 (SQLite does not check) comes back as `bytes` rather than being
//! altered.

use paddock_sdk::db::{Value, ValueType};
use paddock_sdk::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};

/// Column types follow the SDK's portable rules, shared by every db driver.
pub use paddock_sdk::db::value_type_of as type_of;

/// The declared type `create-table` gives a portable column. `unknown` gets
/// none, so SQLite stores values as given (no affinity).
pub fn type_name_of(vt: ValueType) -> &'static str {
    match vt {
        ValueType::Boolean => "BOOLEAN",
        ValueType::Integer => "INTEGER",
        ValueType::Float => "REAL",
        ValueType::Text => "TEXT",
        ValueType::Bytes => "BLOB",
        ValueType::Json => "JSON",
        ValueType::Timestamp => "TIMESTAMP",
        ValueType::Unknown => "",
    }
}

/// A short description for error messages (`text 'abc'`).
pub fn describe(v: &Value) -> String {
    let clip = |s: &str| s.chars().take(40).collect::<String>();
    match v {
        Value::Null => "NULL".into(),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Integer(i) => format!("integer {i}"),
        Value::Float(f) => format!("float {f}"),
        Value::Text(t) => format!("text '{}'", clip(t)),
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::Json(j) => format!("json {}", clip(j)),
        Value::Timestamp(t) => format!("timestamp '{t}'"),
    }
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

/// `v` as SQLite stores it; `what` names it in the error a `json` value
/// that is not JSON gets.
pub fn to_sql<'a>(v: &'a Value, what: &dyn Fn() -> String) -> Result<ToSqlOutput<'a>> {
    Ok(match v {
        Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        Value::Boolean(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
        Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        Value::Float(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
        Value::Text(t) | Value::Timestamp(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        Value::Json(j) if is_json(j) => ToSqlOutput::Borrowed(ValueRef::Text(j.as_bytes())),
        Value::Json(j) => {
            return Err(Error::invalid_input(format!(
                "{} is a json value that is not JSON: {}",
                what(),
                describe(&Value::Text(j.clone()))
            )));
        }
        Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
    })
}

/// A stored value as the WIT value, given its column's declared type.
pub fn from_sql(v: ValueRef<'_>, declared: ValueType) -> Value {
    match (v, declared) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i @ (0 | 1)), ValueType::Boolean) => Value::Boolean(i == 1),
        (ValueRef::Integer(i), ValueType::Json) => Value::Json(i.to_string()),
        (ValueRef::Integer(i), _) => Value::Integer(i),
        (ValueRef::Real(f), ValueType::Json) if f.is_finite() => Value::Json(
            serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string()),
        ),
        (ValueRef::Real(f), _) => Value::Float(f),
        (ValueRef::Text(t), vt) => match String::from_utf8(t.to_vec()) {
            Ok(s) if vt == ValueType::Json => Value::Json(s),
            Ok(s) if vt == ValueType::Timestamp => Value::Timestamp(s),
            Ok(s) => Value::Text(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        (ValueRef::Blob(b), _) => Value::Bytes(b.to_vec()),
    }
}

/// The storage class name and value type of a value, for result columns
/// without a declared type (`SELECT count(*)`).
pub fn storage_class(v: ValueRef<'_>) -> (&'static str, ValueType) {
    match v {
        ValueRef::Null => ("NULL", ValueType::Unknown),
        ValueRef::Integer(_) => ("INTEGER", ValueType::Integer),
        ValueRef::Real(_) => ("REAL", ValueType::Float),
        ValueRef::Text(_) => ("TEXT", ValueType::Text),
        ValueRef::Blob(_) => ("BLOB", ValueType::Bytes),
    }
}

/// `v` as written by `write-rows` into a column of type `vt`, as a typed
/// database would take it; `None` when it does not fit. The same rules as
/// `fake_db`, so a copy between drivers fails the same way on bad data.
pub fn coerce(vt: ValueType, v: Value) -> Option<Value> {
    use Value::*;
    Some(match (vt, v) {
        (_, Null) => Null,
        (ValueType::Unknown, v) => v,
        (ValueType::Boolean, Boolean(b)) => Boolean(b),
        (ValueType::Boolean, Integer(i @ (0 | 1))) => Boolean(i == 1),
        (ValueType::Integer, Integer(i)) => Integer(i),
        (ValueType::Integer, Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Integer(f as i64),
        (ValueType::Float, Float(f)) => Float(f),
        (ValueType::Float, Integer(i)) => Float(i as f64),
        (ValueType::Text, Text(t)) => Text(t),
        (ValueType::Bytes, Bytes(b)) => Bytes(b),
        (ValueType::Json, Json(j) | Text(j)) => {
            if !is_json(&j) {
                return None;
            }
            Json(j)
        }
        (ValueType::Timestamp, Timestamp(t) | Text(t)) => Timestamp(t),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_round_trips_the_portable_types() {
        for (name, vt) in [
            ("INTEGER", ValueType::Integer),
            ("bigserial", ValueType::Integer),
            ("VARCHAR(255)", ValueType::Text),
            ("double precision", ValueType::Float),
            ("jsonb", ValueType::Json),
            ("timestamp with time zone", ValueType::Timestamp),
            ("DATETIME", ValueType::Timestamp),
            ("BYTEA", ValueType::Bytes),
            ("boolean", ValueType::Boolean),
            ("", ValueType::Unknown),
        ] {
            assert_eq!(type_of(name), vt, "{name}");
        }
        for vt in [
            ValueType::Boolean,
            ValueType::Integer,
            ValueType::Float,
            ValueType::Text,
            ValueType::Bytes,
            ValueType::Json,
            ValueType::Timestamp,
            ValueType::Unknown,
        ] {
            assert_eq!(type_of(type_name_of(vt)), vt);
        }
    }

    #[test]
    fn declared_types_recover_what_sqlite_lacks() {
        let read = |v, vt| format!("{:?}", from_sql(v, vt));
        assert_eq!(
            read(ValueRef::Integer(1), ValueType::Boolean),
            "Value::Boolean(true)"
        );
        assert_eq!(
            read(ValueRef::Integer(2), ValueType::Boolean),
            "Value::Integer(2)"
        );
        assert_eq!(
            read(ValueRef::Integer(2), ValueType::Json),
            "Value::Json(\"2\")"
        );
        assert_eq!(
            read(ValueRef::Real(2.5), ValueType::Json),
            "Value::Json(\"2.5\")"
        );
        assert_eq!(
            read(ValueRef::Text(b"x"), ValueType::Timestamp),
            "Value::Timestamp(\"x\")"
        );
        assert_eq!(
            read(ValueRef::Text(b"x"), ValueType::Integer),
            "Value::Text(\"x\")"
        );
        assert_eq!(
            read(ValueRef::Text(&[0xff]), ValueType::Text),
            "Value::Bytes([255])"
        );
        assert_eq!(
            read(ValueRef::Real(1.0), ValueType::Integer),
            "Value::Float(1.0)"
        );
    }

    #[test]
    fn json_params_must_be_json() {
        let what = || "parameter 1".to_owned();
        assert!(to_sql(&Value::Json("{\"a\":1}".into()), &what).is_ok());
        let e = to_sql(&Value::Json("{".into()), &what).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                "invalid-input",
                "parameter 1 is a json value that is not JSON: text '{'"
            )
        );
    }

    #[test]
    fn coercion() {
        assert!(matches!(
            coerce(ValueType::Float, Value::Integer(2)),
            Some(Value::Float(2.0))
        ));
        assert!(matches!(
            coerce(ValueType::Boolean, Value::Integer(1)),
            Some(Value::Boolean(true))
        ));
        assert!(matches!(
            coerce(ValueType::Integer, Value::Float(3.0)),
            Some(Value::Integer(3))
        ));
        assert!(coerce(ValueType::Integer, Value::Float(3.5)).is_none());
        assert!(coerce(ValueType::Integer, Value::Text("1".into())).is_none());
        assert!(coerce(ValueType::Json, Value::Text("{".into())).is_none());
        assert!(matches!(
            coerce(ValueType::Unknown, Value::Bytes(vec![1])),
            Some(Value::Bytes(_))
        ));
        assert!(matches!(
            coerce(ValueType::Text, Value::Null),
            Some(Value::Null)
        ));
    }
}
