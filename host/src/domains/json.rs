//! The canonical JSON form of WIT values, driven by the component's own types.
//!
//! | WIT                         | JSON                                              |
//! |-----------------------------|---------------------------------------------------|
//! | record                      | object; keys in snake_case (kebab-case accepted)  |
//! | variant case without payload| `"case-name"`                                     |
//! | variant case with payload   | `{"case-name": payload}`                          |
//! | enum                        | `"case-name"`                                     |
//! | option                      | `null` or the value                               |
//! | result                      | `{"ok": v}` / `{"err": v}`                        |
//! | list<u8>                    | base64 string (an array of bytes is accepted)     |
//! | list<tuple<string, T>>      | object (an array of pairs is accepted)            |
//! | other lists, tuples         | arrays                                            |
//! | flags                       | array of flag names                               |
//! | u64/s64                     | number (a decimal string is accepted)             |
//!
//! Missing record fields and parameters default when the type has an obvious
//! empty value: `none` for options, `[]` for lists, `false` for bools.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use wasmtime::component::{Type, Val};

/// A JSON value that does not fit the WIT type, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingError {
    /// Where in the input (`request.source`).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

/// `kebab-case` → `snake_case`, the JSON spelling of WIT names.
pub fn json_name(wit_name: &str) -> String {
    wit_name.replace('-', "_")
}

fn err(path: &str, message: impl Into<String>) -> MappingError {
    MappingError {
        path: path.to_string(),
        message: message.into(),
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The value a missing field or parameter of type `ty` takes, if any; a
/// record whose fields all have defaults defaults to that record.
pub fn default_for(ty: &Type) -> Option<Val> {
    match ty {
        Type::Option(_) => Some(Val::Option(None)),
        Type::List(_) => Some(Val::List(Vec::new())),
        Type::Bool => Some(Val::Bool(false)),
        Type::Record(r) => r
            .fields()
            .map(|f| default_for(&f.ty).map(|v| (f.name.to_string(), v)))
            .collect::<Option<Vec<_>>>()
            .map(Val::Record),
        _ => None,
    }
}

/// Maps named fields (a record, or a function's parameters) from a JSON object.
pub fn fields_to_vals<'a>(
    json: &Value,
    fields: impl Iterator<Item = (&'a str, Type)> + Clone,
    path: &str,
) -> Result<Vec<(String, Val)>, MappingError> {
    let empty = Map::new();
    let obj = match json {
        Value::Object(o) => o,
        Value::Null => &empty,
        other => {
            return Err(err(
                path,
                format!("expected an object, got {}", describe(other)),
            ));
        }
    };
    let names: Vec<String> = fields.clone().map(|(n, _)| json_name(n)).collect();
    for key in obj.keys() {
        let snake = json_name(key);
        if !names.contains(&snake) {
            let expected = if names.is_empty() {
                "this takes no arguments".to_string()
            } else {
                format!("expected one of: {}", names.join(", "))
            };
            return Err(err(&child(path, key), format!("unknown field; {expected}")));
        }
    }
    let mut out = Vec::new();
    for (name, ty) in fields {
        let snake = json_name(name);
        let value = obj.get(&snake).or_else(|| obj.get(name));
        let val = match value {
            Some(v) => to_val(v, &ty, &child(path, &snake))?,
            None => default_for(&ty).ok_or_else(|| {
                err(
                    &child(path, &snake),
                    format!("missing required field of type {}", type_name(&ty)),
                )
            })?,
        };
        out.push((name.to_string(), val));
    }
    Ok(out)
}

/// Maps one JSON value to a WIT value of type `ty`.
pub fn to_val(json: &Value, ty: &Type, path: &str) -> Result<Val, MappingError> {
    let expected = |what: &str| err(path, format!("expected {what}, got {}", describe(json)));
    Ok(match ty {
        Type::Bool => Val::Bool(json.as_bool().ok_or_else(|| expected("a boolean"))?),
        Type::S8 => Val::S8(int(json, path)?),
        Type::U8 => Val::U8(int(json, path)?),
        Type::S16 => Val::S16(int(json, path)?),
        Type::U16 => Val::U16(int(json, path)?),
        Type::S32 => Val::S32(int(json, path)?),
        Type::U32 => Val::U32(int(json, path)?),
        Type::S64 => Val::S64(int(json, path)?),
        Type::U64 => Val::U64(int(json, path)?),
        Type::Float32 => Val::Float32(json.as_f64().ok_or_else(|| expected("a number"))? as f32),
        Type::Float64 => Val::Float64(json.as_f64().ok_or_else(|| expected("a number"))?),
        Type::Char => {
            let s = json
                .as_str()
                .ok_or_else(|| expected("a one-character string"))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(expected("a one-character string")),
            }
        }
        Type::String => Val::String(
            json.as_str()
                .ok_or_else(|| expected("a string"))?
                .to_string(),
        ),
        Type::List(list) => {
            let elem = list.ty();
            if matches!(elem, Type::U8)
                && let Value::String(s) = json
            {
                let bytes = BASE64
                    .decode(s)
                    .map_err(|e| err(path, format!("expected base64 bytes: {e}")))?;
                return Ok(Val::List(bytes.into_iter().map(Val::U8).collect()));
            }
            if let (Value::Object(obj), Some(value_ty)) = (json, string_keyed_pair(&elem)) {
                let mut items = Vec::with_capacity(obj.len());
                for (k, v) in obj {
                    items.push(Val::Tuple(vec![
                        Val::String(k.clone()),
                        to_val(v, &value_ty, &child(path, k))?,
                    ]));
                }
                return Ok(Val::List(items));
            }
            let arr = json.as_array().ok_or_else(|| {
                if string_keyed_pair(&elem).is_some() {
                    expected("an object or an array of [key, value] pairs")
                } else if matches!(elem, Type::U8) {
                    expected("a base64 string")
                } else {
                    expected("an array")
                }
            })?;
            let mut items = Vec::with_capacity(arr.len());
            for (i, v) in arr.iter().enumerate() {
                items.push(to_val(v, &elem, &format!("{path}[{i}]"))?);
            }
            Val::List(items)
        }
        Type::Record(record) => {
            let fields: Vec<(&str, Type)> = record.fields().map(|f| (f.name, f.ty)).collect();
            Val::Record(fields_to_vals(json, fields.into_iter(), path)?)
        }
        Type::Tuple(tuple) => {
            let types: Vec<Type> = tuple.types().collect();
            let arr = json
                .as_array()
                .filter(|a| a.len() == types.len())
                .ok_or_else(|| expected(&format!("an array of {} items", types.len())))?;
            let mut items = Vec::with_capacity(arr.len());
            for (i, (v, t)) in arr.iter().zip(&types).enumerate() {
                items.push(to_val(v, t, &format!("{path}[{i}]"))?);
            }
            Val::Tuple(items)
        }
        Type::Variant(variant) => {
            let cases: Vec<(String, Option<Type>)> = variant
                .cases()
                .map(|c| (c.name.to_string(), c.ty))
                .collect();
            let names = || {
                cases
                    .iter()
                    .map(|(n, t)| match t {
                        Some(_) => format!("{{\"{n}\": …}}"),
                        None => format!("\"{n}\""),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (name, payload) = match json {
                Value::String(s) => (s.as_str(), None),
                Value::Object(o) if o.len() == 1 => {
                    let (k, v) = o.iter().next().expect("one entry");
                    (k.as_str(), Some(v))
                }
                _ => return Err(expected(&format!("one of {}", names()))),
            };
            let Some((case, case_ty)) = cases
                .iter()
                .find(|(n, _)| n == name || json_name(n) == name)
            else {
                return Err(err(
                    path,
                    format!("unknown case '{name}'; expected one of {}", names()),
                ));
            };
            let payload = match (case_ty, payload) {
                (None, None) | (None, Some(Value::Null)) => None,
                (Some(t), Some(v)) => Some(Box::new(to_val(v, t, &child(path, case))?)),
                (Some(t), None) => {
                    return Err(err(
                        path,
                        format!(
                            "case '{case}' needs a payload of type {}: write {{\"{case}\": …}}",
                            type_name(t)
                        ),
                    ));
                }
                (None, Some(_)) => {
                    return Err(err(
                        path,
                        format!("case '{case}' takes no payload: write \"{case}\""),
                    ));
                }
            };
            Val::Variant(case.clone(), payload)
        }
        Type::Enum(en) => {
            let names: Vec<&str> = en.names().collect();
            let s = json
                .as_str()
                .ok_or_else(|| expected(&format!("one of \"{}\"", names.join("\", \""))))?;
            let Some(name) = names.iter().find(|n| **n == s || json_name(n) == s) else {
                return Err(err(
                    path,
                    format!(
                        "unknown value '{s}'; expected one of \"{}\"",
                        names.join("\", \"")
                    ),
                ));
            };
            Val::Enum(name.to_string())
        }
        Type::Option(opt) => match json {
            Value::Null => Val::Option(None),
            v => Val::Option(Some(Box::new(to_val(v, &opt.ty(), path)?))),
        },
        Type::Result(result) => {
            let obj = json
                .as_object()
                .filter(|o| o.len() == 1)
                .ok_or_else(|| expected("{\"ok\": …} or {\"err\": …}"))?;
            let (k, v) = obj.iter().next().expect("one entry");
            let inner = |t: Option<Type>, key: &str| -> Result<Option<Box<Val>>, MappingError> {
                match t {
                    Some(t) => Ok(Some(Box::new(to_val(v, &t, &child(path, key))?))),
                    None => Ok(None),
                }
            };
            match k.as_str() {
                "ok" => Val::Result(Ok(inner(result.ok(), "ok")?)),
                "err" => Val::Result(Err(inner(result.err(), "err")?)),
                _ => return Err(expected("{\"ok\": …} or {\"err\": …}")),
            }
        }
        Type::Flags(flags) => {
            let names: Vec<&str> = flags.names().collect();
            let arr = json
                .as_array()
                .ok_or_else(|| expected("an array of flag names"))?;
            let mut set = Vec::new();
            for (i, v) in arr.iter().enumerate() {
                let s = v.as_str().unwrap_or_default();
                let Some(n) = names.iter().find(|n| **n == s || json_name(n) == s) else {
                    return Err(err(
                        &format!("{path}[{i}]"),
                        format!("unknown flag; expected some of: {}", names.join(", ")),
                    ));
                };
                set.push(n.to_string());
            }
            Val::Flags(set)
        }
        other => {
            return Err(err(
                path,
                format!("{} values cannot be passed as JSON", type_name(other)),
            ));
        }
    })
}

fn int<T: TryFrom<i128>>(json: &Value, path: &str) -> Result<T, MappingError> {
    let n: Option<i128> = match json {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let n = n.ok_or_else(|| err(path, format!("expected an integer, got {}", describe(json))))?;
    T::try_from(n).map_err(|_| {
        err(
            path,
            format!("{n} is out of range for {}", std::any::type_name::<T>()),
        )
    })
}

/// `Some(T)` when `elem` is `tuple<string, T>`.
pub(crate) fn string_keyed_pair(elem: &Type) -> Option<Type> {
    let Type::Tuple(t) = elem else { return None };
    let types: Vec<Type> = t.types().collect();
    match types.as_slice() {
        [Type::String, v] => Some(v.clone()),
        _ => None,
    }
}

/// Maps a WIT value back to JSON; `ty` decides the spelling of bytes and maps.
pub fn from_val(val: &Val, ty: &Type) -> Value {
    match (val, ty) {
        (Val::Bool(b), _) => Value::Bool(*b),
        (Val::S8(n), _) => (*n).into(),
        (Val::U8(n), _) => (*n).into(),
        (Val::S16(n), _) => (*n).into(),
        (Val::U16(n), _) => (*n).into(),
        (Val::S32(n), _) => (*n).into(),
        (Val::U32(n), _) => (*n).into(),
        (Val::S64(n), _) => (*n).into(),
        (Val::U64(n), _) => (*n).into(),
        (Val::Float32(n), _) => float(f64::from(*n)),
        (Val::Float64(n), _) => float(*n),
        (Val::Char(c), _) => Value::String(c.to_string()),
        (Val::String(s), _) => Value::String(s.clone()),
        (Val::List(items), Type::List(list)) => {
            let elem = list.ty();
            if matches!(elem, Type::U8) {
                let bytes: Vec<u8> = items
                    .iter()
                    .map(|v| if let Val::U8(b) = v { *b } else { 0 })
                    .collect();
                return Value::String(BASE64.encode(bytes));
            }
            if let Some(value_ty) = string_keyed_pair(&elem) {
                let mut map = Map::new();
                for item in items {
                    if let Val::Tuple(pair) = item
                        && let [Val::String(k), v] = pair.as_slice()
                    {
                        map.insert(k.clone(), from_val(v, &value_ty));
                    }
                }
                return Value::Object(map);
            }
            Value::Array(items.iter().map(|v| from_val(v, &elem)).collect())
        }
        (Val::Record(fields), Type::Record(record)) => {
            let mut map = Map::new();
            for ((name, v), field) in fields.iter().zip(record.fields()) {
                map.insert(json_name(name), from_val(v, &field.ty));
            }
            Value::Object(map)
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => Value::Array(
            items
                .iter()
                .zip(tuple.types())
                .map(|(v, t)| from_val(v, &t))
                .collect(),
        ),
        (Val::Variant(name, payload), Type::Variant(variant)) => {
            let case_ty = variant.cases().find(|c| c.name == name).and_then(|c| c.ty);
            match (payload, case_ty) {
                (Some(p), Some(t)) => {
                    let mut map = Map::new();
                    map.insert(name.clone(), from_val(p, &t));
                    Value::Object(map)
                }
                _ => Value::String(name.clone()),
            }
        }
        (Val::Enum(name), _) => Value::String(name.clone()),
        (Val::Option(None), _) => Value::Null,
        (Val::Option(Some(v)), Type::Option(opt)) => from_val(v, &opt.ty()),
        (Val::Result(r), Type::Result(rt)) => {
            let (key, inner, t) = match r {
                Ok(v) => ("ok", v, rt.ok()),
                Err(v) => ("err", v, rt.err()),
            };
            let mut map = Map::new();
            map.insert(
                key.to_string(),
                match (inner, t) {
                    (Some(v), Some(t)) => from_val(v, &t),
                    _ => Value::Null,
                },
            );
            Value::Object(map)
        }
        (Val::Flags(names), _) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

fn float(n: f64) -> Value {
    serde_json::Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(n.to_string()))
}

/// A short human name of a type, for messages.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(l) => format!("list<{}>", type_name(&l.ty())),
        Type::Record(_) => "record".into(),
        Type::Tuple(_) => "tuple".into(),
        Type::Variant(_) => "variant".into(),
        Type::Enum(_) => "enum".into(),
        Type::Option(o) => format!("option<{}>", type_name(&o.ty())),
        Type::Result(_) => "result".into(),
        Type::Flags(_) => "flags".into(),
        Type::Own(_) | Type::Borrow(_) => "resource".into(),
        _ => "value".into(),
    }
}
