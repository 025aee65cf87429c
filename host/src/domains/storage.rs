//! Storage verbs with streamed bodies: `put` lends the caller's body as a
//! `body-source`; `get` pulls the driver's `object-reader` chunk by chunk into
//! a bounded channel, so memory stays flat whatever the object's size.

use super::{json, wit_error};
use crate::capabilities::body::BodySource;
use crate::error::{CallError, ErrorKind};
use crate::runtime::{Verb, wit};
use bytes::Bytes;
use serde_json::Value;
use wasmtime::component::{Resource, ResourceAny, Type, Val};

/// Bytes pulled from the driver per read.
pub const CHUNK: u32 = 256 * 1024;

/// Largest object a `get` answers inline, in JSON (HTTP with `Accept:
/// application/json`, MCP); streamed answers have no limit.
pub const MAX_INLINE_OBJECT: u64 = 16 << 20;

/// The argument names of `put` that are not the body.
pub fn put_params(verb: &Verb, args: &Value, body: ResourceAny) -> Result<Vec<Val>, CallError> {
    let fields = verb
        .params
        .iter()
        .filter(|(n, _)| n != "body")
        .map(|(n, t)| (n.as_str(), t.clone()));
    let mut named = json::fields_to_vals(&strip_body(args), fields, "")
        .map_err(|e| CallError::invalid(format!("invalid arguments for 'put': {e}")))?;
    let at = verb
        .params
        .iter()
        .position(|(n, _)| n == "body")
        .ok_or_else(|| {
            CallError::new(
                ErrorKind::DriverFault,
                "the driver's put has no body parameter",
            )
        })?;
    named.insert(at, ("body".into(), Val::Resource(body)));
    Ok(named.into_iter().map(|(_, v)| v).collect())
}

/// Accepts `content_type` and `metadata` beside `container` and `key`, as
/// callers write them, and folds them into the WIT `options` record.
pub fn normalize_put_args(args: &mut Value) {
    if let Value::Object(o) = args
        && !o.contains_key("options")
        && (o.contains_key("content_type") || o.contains_key("metadata"))
    {
        let options = serde_json::json!({
            "content_type": o.remove("content_type"),
            "metadata": o.remove("metadata").unwrap_or(serde_json::json!({})),
        });
        o.insert("options".into(), options);
    }
}

fn strip_body(args: &Value) -> Value {
    let mut args = args.clone();
    if let Value::Object(o) = &mut args {
        o.remove("body");
        o.remove("body_base64");
    }
    args
}

/// A `put` body carried inside JSON: `body` (text) or `body_base64`.
pub fn inline_body(args: &Value) -> Result<Option<BodySource>, CallError> {
    use base64::Engine as _;
    match (args.get("body"), args.get("body_base64")) {
        (Some(Value::String(text)), None) => {
            Ok(Some(BodySource::from_bytes(text.clone().into_bytes())))
        }
        (None, Some(Value::String(b64))) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(|b| Some(BodySource::from_bytes(b)))
            .map_err(|e| CallError::invalid(format!("`body_base64` is not valid base64: {e}"))),
        (None, None) => Ok(None),
        _ => Err(CallError::invalid(
            "give the object's bytes as `body` (UTF-8 text) or `body_base64`, not both and as strings",
        )),
    }
}

/// Lends `body` to the call's store.
pub fn lend_body(
    store: &mut wasmtime::Store<crate::runtime::HostState>,
    body: BodySource,
) -> Result<ResourceAny, CallError> {
    let resource: Resource<BodySource> = store.data_mut().table().push(body).map_err(|e| {
        CallError::new(ErrorKind::DriverFault, format!("cannot lend the body: {e}"))
    })?;
    resource
        .try_into_resource_any(&mut *store)
        .map_err(|e| CallError::new(ErrorKind::DriverFault, format!("cannot lend the body: {e}")))
}

/// What `get` answered, before its bytes.
pub struct ObjectHead {
    /// The object's metadata as JSON.
    pub meta: Value,
    /// First byte served.
    pub offset: u64,
    /// Bytes served.
    pub length: u64,
    /// The reader to pull from.
    pub reader: ResourceAny,
}

/// Splits `get`'s `result<object-content, error>`.
pub fn object_head(val: Val, verb: &Verb) -> Result<ObjectHead, CallError> {
    let content = match val {
        Val::Result(Ok(Some(v))) => *v,
        Val::Result(Err(Some(e))) => return Err(wit_error(&e)),
        _ => {
            return Err(CallError::new(
                ErrorKind::DriverFault,
                "get returned no content",
            ));
        }
    };
    let Val::Record(fields) = content else {
        return Err(CallError::new(
            ErrorKind::DriverFault,
            "get returned a malformed object-content",
        ));
    };
    let meta_ty = match verb.result.as_ref() {
        Some(Type::Result(rt)) => match rt.ok() {
            Some(Type::Record(r)) => r.fields().find(|f| f.name == "meta").map(|f| f.ty),
            _ => None,
        },
        _ => None,
    };
    let (mut meta, mut offset, mut length, mut reader) = (Value::Null, 0, 0, None);
    for (name, v) in fields {
        match (name.as_str(), v) {
            ("meta", v) => {
                meta = meta_ty
                    .as_ref()
                    .map(|t| json::from_val(&v, t))
                    .unwrap_or_default()
            }
            ("offset", Val::U64(n)) => offset = n,
            ("length", Val::U64(n)) => length = n,
            ("body", Val::Resource(r)) => reader = Some(r),
            _ => {}
        }
    }
    let reader = reader
        .ok_or_else(|| CallError::new(ErrorKind::DriverFault, "get returned no body reader"))?;
    Ok(ObjectHead {
        meta,
        offset,
        length,
        reader,
    })
}

/// The typed signature of `[method]object-reader.read`.
pub type ReadFunc = wasmtime::component::TypedFunc<
    (ResourceAny, u32),
    (Result<Option<Vec<u8>>, wit::types::Error>,),
>;

/// Turns one read's answer into a chunk, end of stream, or error.
pub fn read_outcome(
    outcome: Result<Option<Vec<u8>>, wit::types::Error>,
) -> Result<Option<Bytes>, CallError> {
    match outcome {
        Ok(Some(chunk)) => Ok(Some(Bytes::from(chunk))),
        Ok(None) => Ok(None),
        Err(e) => Err(wit_types_error(e)),
    }
}

fn wit_types_error(e: wit::types::Error) -> CallError {
    use wit::types::Error as E;
    match e {
        E::NotFound(m) => CallError::new(ErrorKind::NotFound, m),
        E::AlreadyExists(m) => CallError::new(ErrorKind::AlreadyExists, m),
        E::Conflict(m) => CallError::new(ErrorKind::Conflict, m),
        E::AccessDenied(m) => CallError::new(ErrorKind::AccessDenied, m),
        E::QuotaExceeded(m) => CallError::new(ErrorKind::QuotaExceeded, m),
        E::InvalidInput(m) => CallError::new(ErrorKind::InvalidInput, m),
        E::Unsupported(m) => CallError::new(ErrorKind::Unsupported, m),
        E::Unavailable(u) => CallError {
            retry_after_ms: u.retry_after_ms,
            ..CallError::new(ErrorKind::Unavailable, u.message)
        },
        E::Vendor(v) => CallError {
            code: Some(v.code),
            ..CallError::new(ErrorKind::Vendor, v.message)
        },
    }
}

/// A `get` answered in JSON: `{"meta", "offset", "length"}` and the bytes
/// inline, as `body` when they are UTF-8 text and `body_base64` otherwise.
/// Objects over `max` bytes are refused with `quota-exceeded` before any byte
/// is read.
pub async fn inline_object(
    download: crate::service::ObjectDownload,
    max: u64,
) -> Result<Value, CallError> {
    use futures::StreamExt as _;
    if download.length > max {
        return Err(CallError::new(
            ErrorKind::QuotaExceeded,
            format!(
                "the object is {} bytes, over the {max}-byte limit of JSON answers; stream it instead (HTTP without `Accept: application/json`, or `paddock call storage get --out FILE`)",
                download.length
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(download.length as usize);
    let mut body = download.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| CallError::new(ErrorKind::Unavailable, e.to_string()))?;
        bytes.extend_from_slice(&chunk);
    }
    let mut answer = serde_json::json!({
        "meta": download.meta,
        "offset": download.offset,
        "length": download.length,
    });
    match String::from_utf8(bytes) {
        Ok(text) => answer["body"] = Value::String(text),
        Err(e) => {
            use base64::Engine as _;
            answer["body_base64"] =
                Value::String(base64::engine::general_purpose::STANDARD.encode(e.into_bytes()));
        }
    }
    Ok(answer)
}
