//! Values between the WIT and the query endpoint's JSON.
//!
//! Parameters go as JSON (`V1RunQueryBody.parameters`, untyped in the
//! description): bytes as PostgreSQL's hex `bytea` text (`\x0102`), JSON and
//! timestamps as text, which PostgreSQL casts to the parameter's type.
//!
//! Answers are JSON rows with no column types, so a column's `value-type`
//! is read from its first non-null value and its `type-name` is that
//! value's JSON kind (`number`, `string`…): timestamps and `bytea` arrive as
//! text, `json`/`jsonb` as JSON.

use paddock_sdk::db::{Column, Value, ValueType};
use serde_json::Value as Json;

use crate::api::Row;

pub fn to_param(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(f.to_string())),
        Value::Text(s) | Value::Json(s) | Value::Timestamp(s) => Json::String(s.clone()),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Json::String(format!("\\x{hex}"))
        }
    }
}

pub fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Json(other.to_string()),
    }
}

fn kind(j: &Json) -> (ValueType, &'static str) {
    match j {
        Json::Null => (ValueType::Unknown, "null"),
        Json::Bool(_) => (ValueType::Boolean, "boolean"),
        Json::Number(n) if n.is_i64() => (ValueType::Integer, "number"),
        Json::Number(_) => (ValueType::Float, "number"),
        Json::String(_) => (ValueType::Text, "string"),
        Json::Array(_) => (ValueType::Json, "array"),
        Json::Object(_) => (ValueType::Json, "object"),
    }
}

/// Columns (from the first row's keys) and values of an answer.
pub fn rows(answer: &[Row]) -> (Vec<Column>, Vec<Vec<Value>>) {
    let Some(first) = answer.first() else {
        return (Vec::new(), Vec::new());
    };
    let names: Vec<&String> = first.0.iter().map(|(k, _)| k).collect();
    let columns = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let sample = answer
                .iter()
                .filter_map(|r| r.0.get(i).map(|(_, v)| v))
                .find(|v| !v.is_null());
            let (value_type, type_name) = sample.map(kind).unwrap_or((ValueType::Unknown, "null"));
            Column {
                name: (*name).clone(),
                type_name: type_name.into(),
                value_type,
            }
        })
        .collect();
    let values = answer
        .iter()
        .map(|r| {
            names
                .iter()
                .map(|n| {
                    r.0.iter()
                        .find(|(k, _)| k == *n)
                        .map(|(_, v)| from_json(v))
                        .unwrap_or(Value::Null)
                })
                .collect()
        })
        .collect();
    (columns, values)
}
