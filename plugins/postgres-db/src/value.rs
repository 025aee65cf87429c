//! WIT values to PostgreSQL text-format values and back.
//!
//! Parameters travel in text format, typed by the server: the statement is
//! parsed first and each value is written as the text its parameter's type
//! reads (`$1` of `WHERE id = $1` is an `int4`; of `SELECT $1`, `text`:
//! cast it, `$1::int8`, to get a number back). Results come back in text
//! format (the session runs with `DateStyle=ISO`, `TimeZone=UTC`,
//! `bytea_output=hex`, `extra_float_digits=3`) and are read by their type:
//!
//! | PostgreSQL type                                   | WIT value |
//! |---------------------------------------------------|-----------|
//! | `boolean`                                         | `boolean` |
//! | `smallint`, `integer`, `bigint`, `oid`            | `integer` |
//! | `real`, `double precision`, `numeric`             | `float` (numeric: nearest f64; `::text` keeps every digit) |
//! | `text`, `varchar`, `char`, `name`, `uuid`         | `text` |
//! | `bytea`                                           | `bytes` |
//! | `json`, `jsonb`                                   | `json` |
//! | `timestamptz`, `timestamp`                        | `timestamp`, RFC 3339 in UTC (`2024-05-01T12:00:00Z`; a timestamp without time zone is read as UTC) |
//! | `date`, `time`                                    | `timestamp`, PostgreSQL's ISO text (`2024-05-01`) |
//! | anything else (arrays, intervals, enums…)         | `text`, PostgreSQL's text form; column type `unknown` |

use paddock_sdk::db::{Value, ValueType};
use paddock_sdk::{Error, Result};
use postgres_protocol::Oid;

pub const BOOL: Oid = 16;
pub const BYTEA: Oid = 17;
pub const CHAR: Oid = 18;
pub const NAME: Oid = 19;
pub const INT8: Oid = 20;
pub const INT2: Oid = 21;
pub const INT4: Oid = 23;
pub const TEXT: Oid = 25;
pub const OID: Oid = 26;
pub const JSON: Oid = 114;
pub const FLOAT4: Oid = 700;
pub const FLOAT8: Oid = 701;
pub const UNKNOWN: Oid = 705;
pub const BPCHAR: Oid = 1042;
pub const VARCHAR: Oid = 1043;
pub const DATE: Oid = 1082;
pub const TIME: Oid = 1083;
pub const TIMESTAMP: Oid = 1114;
pub const TIMESTAMPTZ: Oid = 1184;
pub const NUMERIC: Oid = 1700;
pub const UUID: Oid = 2950;
pub const JSONB: Oid = 3802;

/// The name (`format_type`'s) and value type of a built-in type; `None`
/// for the others, whose names the driver asks the server for.
pub fn builtin(oid: Oid) -> Option<(&'static str, ValueType)> {
    use ValueType::*;
    Some(match oid {
        BOOL => ("boolean", Boolean),
        BYTEA => ("bytea", Bytes),
        CHAR => ("\"char\"", Text),
        NAME => ("name", Text),
        INT8 => ("bigint", Integer),
        INT2 => ("smallint", Integer),
        INT4 => ("integer", Integer),
        TEXT => ("text", Text),
        OID => ("oid", Integer),
        JSON => ("json", Json),
        FLOAT4 => ("real", Float),
        FLOAT8 => ("double precision", Float),
        UNKNOWN => ("unknown", Text),
        BPCHAR => ("character", Text),
        VARCHAR => ("character varying", Text),
        DATE => ("date", Timestamp),
        TIME => ("time without time zone", Timestamp),
        TIMESTAMP => ("timestamp without time zone", Timestamp),
        TIMESTAMPTZ => ("timestamp with time zone", Timestamp),
        NUMERIC => ("numeric", Float),
        UUID => ("uuid", Text),
        JSONB => ("jsonb", Json),
        _ => return None,
    })
}

/// The value type of a column of type `oid` named `name` (`format_type`):
/// the built-in table, else the portable rules every paddock db driver
/// shares, by name (domains over built-in types, `varchar(20)`…); arrays
/// are `unknown`.
pub fn value_type(oid: Oid, name: &str) -> ValueType {
    if let Some((_, vt)) = builtin(oid) {
        return vt;
    }
    if name.ends_with("[]") {
        return ValueType::Unknown;
    }
    type_of(name)
}

/// Column types follow the SDK's portable rules, shared by every db driver.
pub use paddock_sdk::db::value_type_of as type_of;

/// The PostgreSQL type `create-table` gives a portable column.
pub fn type_name_of(vt: ValueType) -> &'static str {
    match vt {
        ValueType::Boolean => "boolean",
        ValueType::Integer => "bigint",
        ValueType::Float => "double precision",
        ValueType::Text | ValueType::Unknown => "text",
        ValueType::Bytes => "bytea",
        ValueType::Json => "jsonb",
        ValueType::Timestamp => "timestamptz",
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

fn is_int(oid: Oid) -> bool {
    matches!(oid, INT2 | INT4 | INT8 | OID)
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "Infinity".into()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        // Shortest text that reads back as the same f64.
        format!("{f:?}")
    }
}

/// `v` in the text format of a parameter of type `oid`; `None` for NULL.
/// `what` names the value in errors (`parameter 2`).
pub fn encode(v: &Value, oid: Oid, what: &dyn Fn() -> String) -> Result<Option<Vec<u8>>> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::Boolean(b) if is_int(oid) => u8::from(*b).to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) if is_int(oid) && f.fract() == 0.0 && f.abs() < 9.0e18 => {
            (*f as i64).to_string()
        }
        Value::Float(f) if matches!(oid, JSON | JSONB) && !f.is_finite() => {
            return Err(Error::invalid_input(format!(
                "{} is {}, which JSON cannot hold",
                what(),
                describe(v)
            )));
        }
        Value::Float(f) => float_text(*f),
        Value::Text(t) | Value::Timestamp(t) => t.clone(),
        Value::Json(j) if is_json(j) => j.clone(),
        Value::Json(j) => {
            return Err(Error::invalid_input(format!(
                "{} is a json value that is not JSON: {}",
                what(),
                describe(&Value::Text(j.clone()))
            )));
        }
        Value::Bytes(b) if oid == BYTEA => {
            let mut s = String::with_capacity(2 + b.len() * 2);
            s.push_str("\\x");
            for byte in b {
                s.push_str(&format!("{byte:02x}"));
            }
            s
        }
        Value::Bytes(b) => {
            let (name, _) = builtin(oid).unwrap_or(("a non-bytea type", ValueType::Unknown));
            return Err(Error::invalid_input(format!(
                "{} is {} bytes but PostgreSQL takes it as {name}; cast the parameter to bytea ($N::bytea)",
                what(),
                b.len()
            )));
        }
    };
    Ok(Some(text.into_bytes()))
}

/// A result value in text format as the WIT value, given its column's
/// type and value type.
pub fn decode(raw: Option<&[u8]>, oid: Oid, vt: ValueType) -> Value {
    let Some(raw) = raw else {
        return Value::Null;
    };
    if oid == BYTEA
        && let Some(b) = raw.strip_prefix(b"\\x").and_then(unhex)
    {
        return Value::Bytes(b);
    }
    let text = match String::from_utf8(raw.to_vec()) {
        Ok(t) => t,
        Err(e) => return Value::Bytes(e.into_bytes()),
    };
    match vt {
        ValueType::Boolean => match text.as_str() {
            "t" => Value::Boolean(true),
            "f" => Value::Boolean(false),
            _ => Value::Text(text),
        },
        ValueType::Integer => text
            .parse()
            .map(Value::Integer)
            .unwrap_or(Value::Text(text)),
        ValueType::Float => match text.as_str() {
            "NaN" => Value::Float(f64::NAN),
            "Infinity" => Value::Float(f64::INFINITY),
            "-Infinity" => Value::Float(f64::NEG_INFINITY),
            t => t.parse().map(Value::Float).unwrap_or(Value::Text(text)),
        },
        ValueType::Json => Value::Json(text),
        ValueType::Timestamp => Value::Timestamp(match oid {
            TIMESTAMP | TIMESTAMPTZ => rfc3339(&text),
            _ => text,
        }),
        ValueType::Bytes | ValueType::Text | ValueType::Unknown => Value::Text(text),
    }
}

fn unhex(h: &[u8]) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    h.chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// PostgreSQL's ISO timestamp text in UTC (`2024-05-01 12:00:00.5+00`, or
/// without the offset) as RFC 3339 (`2024-05-01T12:00:00.5Z`). Anything
/// else (`infinity`, BC dates, years past 9999) stays as it is.
pub fn rfc3339(text: &str) -> String {
    let b = text.as_bytes();
    let shaped = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit);
    if !shaped || text.ends_with(" BC") {
        return text.to_owned();
    }
    let (day, rest) = (&text[..10], &text[11..]);
    let (time, offset) = match rest.find(['+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let offset = match offset {
        "" | "+00" | "+00:00" => "Z".to_owned(),
        o if o.len() == 3 => format!("{o}:00"),
        o => o.to_owned(),
    };
    format!("{day}T{time}{offset}")
}

/// `v` as written by `write-rows` into a column of type `vt`, as a typed
/// database takes it; `None` when it does not fit. The same rules as
/// `sqlite` and `fake_db`, so a copy fails the same way on bad data.
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

    fn enc(v: Value, oid: Oid) -> Option<String> {
        encode(&v, oid, &|| "parameter 1".into())
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn parameters_as_text() {
        assert_eq!(enc(Value::Null, INT4), None);
        assert_eq!(enc(Value::Boolean(true), BOOL).unwrap(), "true");
        assert_eq!(enc(Value::Boolean(true), INT4).unwrap(), "1");
        assert_eq!(enc(Value::Integer(-7), INT8).unwrap(), "-7");
        assert_eq!(enc(Value::Float(3.0), INT4).unwrap(), "3");
        assert_eq!(enc(Value::Float(0.1), FLOAT8).unwrap(), "0.1");
        assert_eq!(enc(Value::Float(1e300), FLOAT8).unwrap(), "1e300");
        assert_eq!(enc(Value::Float(f64::NAN), FLOAT8).unwrap(), "NaN");
        assert_eq!(
            enc(Value::Float(f64::NEG_INFINITY), FLOAT8).unwrap(),
            "-Infinity"
        );
        assert_eq!(enc(Value::Bytes(vec![0, 255]), BYTEA).unwrap(), "\\x00ff");
        assert_eq!(
            enc(Value::Json("{\"a\":1}".into()), JSONB).unwrap(),
            "{\"a\":1}"
        );
        let e = encode(&Value::Json("{".into()), JSONB, &|| "parameter 2".into()).unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        assert!(e.message().starts_with("parameter 2 is a json value"));
        let e = encode(&Value::Bytes(vec![1]), TEXT, &|| "parameter 1".into()).unwrap_err();
        assert!(e.message().contains("as text"), "{}", e.message());
    }

    #[test]
    fn results_by_type() {
        let d = |raw: &str, oid| {
            format!(
                "{:?}",
                decode(Some(raw.as_bytes()), oid, builtin(oid).unwrap().1)
            )
        };
        assert_eq!(d("t", BOOL), "Value::Boolean(true)");
        assert_eq!(d("-5", INT2), "Value::Integer(-5)");
        assert_eq!(
            d("9223372036854775807", INT8),
            "Value::Integer(9223372036854775807)"
        );
        assert_eq!(d("1.5", NUMERIC), "Value::Float(1.5)");
        assert_eq!(d("-Infinity", FLOAT8), "Value::Float(-inf)");
        assert_eq!(d("\\x00ff", BYTEA), "Value::Bytes([0, 255])");
        assert_eq!(d("{\"a\": 1}", JSONB), "Value::Json(\"{\\\"a\\\": 1}\")");
        assert_eq!(
            d("2024-05-01 12:00:00+00", TIMESTAMPTZ),
            "Value::Timestamp(\"2024-05-01T12:00:00Z\")"
        );
        assert_eq!(
            d("2024-05-01 12:00:00.25", TIMESTAMP),
            "Value::Timestamp(\"2024-05-01T12:00:00.25Z\")"
        );
        assert_eq!(d("infinity", TIMESTAMPTZ), "Value::Timestamp(\"infinity\")");
        assert_eq!(d("2024-05-01", DATE), "Value::Timestamp(\"2024-05-01\")");
        assert_eq!(
            format!("{:?}", decode(None, INT4, ValueType::Integer)),
            "Value::Null"
        );
        assert_eq!(
            format!("{:?}", decode(Some(b"{1,2}"), 1007, ValueType::Unknown)),
            "Value::Text(\"{1,2}\")"
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339("2024-05-01 12:00:00+00"), "2024-05-01T12:00:00Z");
        assert_eq!(
            rfc3339("2024-05-01 12:00:00.123456+00"),
            "2024-05-01T12:00:00.123456Z"
        );
        assert_eq!(
            rfc3339("2024-05-01 12:00:00+02"),
            "2024-05-01T12:00:00+02:00"
        );
        assert_eq!(
            rfc3339("2024-05-01 12:00:00-05:30"),
            "2024-05-01T12:00:00-05:30"
        );
        assert_eq!(
            rfc3339("0044-03-15 00:00:00+00 BC"),
            "0044-03-15 00:00:00+00 BC"
        );
    }

    #[test]
    fn value_types() {
        assert_eq!(value_type(INT4, "integer"), ValueType::Integer);
        assert_eq!(value_type(99999, "integer[]"), ValueType::Unknown);
        assert_eq!(value_type(99999, "character varying(20)"), ValueType::Text);
        assert_eq!(value_type(99999, "interval"), ValueType::Unknown);
        for vt in [
            ValueType::Boolean,
            ValueType::Integer,
            ValueType::Float,
            ValueType::Text,
            ValueType::Bytes,
            ValueType::Json,
            ValueType::Timestamp,
        ] {
            assert_eq!(type_of(type_name_of(vt)), vt);
        }
    }
}
