//! Verbs of the three domains: the generic JSON path every verb can take,
//! and the adapters for verbs whose inputs the host prepares (streamed
//! bodies, migration folders).

pub mod db;
pub mod deploy;
pub mod json;
pub mod schema;
pub mod storage;
pub mod wit_docs;

use crate::error::{CallError, ErrorKind};
use crate::runtime::Verb;
use serde_json::Value;
use wasmtime::component::{Type, Val};

/// Maps a JSON object of named arguments onto `verb`'s parameters.
pub fn params_from_json(verb: &Verb, args: &Value) -> Result<Vec<Val>, CallError> {
    let fields = verb.params.iter().map(|(n, t)| (n.as_str(), t.clone()));
    json::fields_to_vals(args, fields, "")
        .map(|named| named.into_iter().map(|(_, v)| v).collect())
        .map_err(|e| CallError::invalid(format!("invalid arguments for '{}': {e}", verb.name)))
}

/// Splits a verb's `result<T, error>` into the JSON of `T` or the call error.
pub fn result_to_json(val: &Val, ty: Option<&Type>) -> Result<Value, CallError> {
    match (val, ty) {
        (Val::Result(Ok(ok)), Some(Type::Result(rt))) => Ok(match (ok, rt.ok()) {
            (Some(v), Some(t)) => json::from_val(v, &t),
            _ => Value::Null,
        }),
        (Val::Result(Err(Some(e))), _) => Err(wit_error(e)),
        (Val::Result(Err(None)), _) => Err(CallError::new(
            ErrorKind::DriverFault,
            "the driver returned an error without details",
        )),
        (v, Some(t)) => Ok(json::from_val(v, t)),
        (_, None) => Ok(Value::Null),
    }
}

/// The call error of a WIT `error` value.
pub fn wit_error(val: &Val) -> CallError {
    let Val::Variant(case, payload) = val else {
        return CallError::new(
            ErrorKind::DriverFault,
            "the driver returned a malformed error",
        );
    };
    let Some(kind) = ErrorKind::from_wit_case(case) else {
        return CallError::new(
            ErrorKind::DriverFault,
            format!("the driver returned an unknown error case '{case}'"),
        );
    };
    let mut error = CallError::new(kind, "");
    match payload.as_deref() {
        Some(Val::String(message)) => error.message = message.clone(),
        Some(Val::Record(fields)) => {
            for (name, v) in fields {
                match (name.as_str(), v) {
                    ("message", Val::String(m)) => error.message = m.clone(),
                    ("code", Val::String(c)) => error.code = Some(c.clone()),
                    ("retry-after-ms", Val::Option(Some(ms))) => {
                        if let Val::U64(ms) = **ms {
                            error.retry_after_ms = Some(ms);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if error.message.is_empty() {
        error.message = format!("the driver answered {case}");
    }
    error
}
