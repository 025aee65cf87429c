//! JSON Schemas of the canonical JSON form of WIT values ([`super::json`]),
//! generated from the component's own types and described with the WIT doc
//! comments ([`super::wit_docs`]). Nothing is written per verb, except the
//! three verbs whose inputs or outputs the host prepares (see below).
//!
//! | WIT                     | input schema                                  | output schema            |
//! |-------------------------|-----------------------------------------------|--------------------------|
//! | record                  | object, snake_case `properties`, `additionalProperties: false`; fields that default (options, lists, bools, all-default records) are not `required` | every field `required` |
//! | variant                 | `oneOf`: `{"const": "case"}` / `{"case": payload}` objects | same          |
//! | enum                    | string `enum` (case docs in the description)  | same                     |
//! | option<T>               | `anyOf: [T, null]`                            | same                     |
//! | list<u8>                | base64 string (a `pattern` of canonical, padded base64) | same           |
//! | list<tuple<string, T>>  | object, `additionalProperties: T`             | same                     |
//! | other lists; tuples     | `items`; `prefixItems` with min/max items     | same                     |
//! | flags                   | array of flag names                           | same                     |
//! | s8 … u64                | integer with `minimum`/`maximum`              | same                     |
//! | f32, f64                | number                                        | number, or `"NaN"`/`"inf"`/`"-inf"` |
//! | result<T, E>            | `{"ok": T}` / `{"err": E}`                    | same                     |
//!
//! The input schema describes the canonical spelling only. The mapping also
//! takes a few others, which the schemas do not advertise: kebab-case keys,
//! decimal strings for integers, arrays of bytes, arrays of `[key, value]`
//! pairs, `null` for a record whose fields all default, `{"case": null}`.
//! So whatever a schema accepts, the mapping accepts, and every canonical
//! value the mapping accepts, the schema accepts (the unit tests check both
//! on every verb of the fake drivers).
//!
//! A verb's output schema describes its structured result: a record answer
//! as it is, any other answer as `{"result": …}` ([`ResultShape`]), because
//! MCP wants an object there.
//!
//! # Verbs the host prepares
//!
//! Three verbs have WIT parameters or results that are not JSON: a resource,
//! or data the host reads itself. Their schemas are adjusted here, in
//! [`verb_schemas`] and nowhere else, still from the WIT types:
//! - `storage.put` borrows a `body-source` resource: the caller gives the
//!   bytes as `body` (UTF-8 text) or `body_base64`, and `put-options`' fields
//!   (`content_type`, `metadata`) beside `container` and `key`, as the
//!   service folds them ([`super::storage::normalize_put_args`]).
//! - `storage.get` answers an `object-reader` resource: the answer carries the
//!   bytes inline as `body` or `body_base64` instead
//!   ([`super::storage::inline_object`]).
//! - `db.migrate` takes migrations the host reads from a folder
//!   ([`super::db::migrate_args`]): `dir` plus `migrate-options`' fields.

use super::json::{default_for, json_name, string_keyed_pair};
use super::wit_docs::{self, WitKind, WitType};
use crate::runtime::{Domain, Verb};
use serde_json::{Map, Value, json};
use wasmtime::component::Type;

/// Canonical, padded standard base64 — what the mapping decodes: the last
/// character before the padding may carry no stray bits.
pub const BASE64_PATTERN: &str =
    "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

/// Which way values go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Arguments, as the mapping reads them.
    Input,
    /// Answers, as the mapping writes them.
    Output,
}

/// How a verb's JSON answer becomes a structured tool result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultShape {
    /// The answer is an object (a record): as it is.
    Object,
    /// Any other answer (a list, a variant, nothing): `{"result": answer}`.
    Wrapped,
}

impl ResultShape {
    /// The structured result of `answer`.
    pub fn apply(self, answer: Value) -> Value {
        match self {
            ResultShape::Object => answer,
            ResultShape::Wrapped => json!({ "result": answer }),
        }
    }
}

/// A verb's schemas and docs.
#[derive(Debug, Clone)]
pub struct VerbSchemas {
    /// JSON Schema of the arguments object.
    pub input: Value,
    /// JSON Schema of the structured result.
    pub output: Value,
    /// How the answer is shaped into that result.
    pub shape: ResultShape,
    /// The function's WIT doc comment.
    pub docs: Option<String>,
}

/// The schemas of `verb` of a `domain` driver; `None` when the verb takes or
/// answers something JSON cannot carry (a resource other than the prepared
/// ones above), so it cannot be offered as a JSON tool.
pub fn verb_schemas(domain: Domain, verb: &Verb) -> Option<VerbSchemas> {
    let wit = wit_docs::function(domain.as_str(), &verb.name);
    let docs = wit.and_then(|f| f.docs());
    let param = |name: &str| wit.and_then(|f| f.param(name));
    let (ok_ty, wit_ok) = ok_type(verb, wit.and_then(|f| f.result()));
    match (domain, verb.name.as_str()) {
        (Domain::Storage, "put") => {
            let mut input = Object::default();
            for (name, ty) in &verb.params {
                match name.as_str() {
                    "body" => {}
                    "options" => {
                        let flattened = ["content_type", "metadata"];
                        input.fields_of(ty, param(name), Form::Input, |f| {
                            flattened.contains(&json_name(f).as_str())
                        })?;
                    }
                    _ => input.field(name, ty, param(name), None, Form::Input)?,
                }
            }
            input.property(
                "body",
                described(
                    json!({"type": "string"}),
                    "The object's bytes as UTF-8 text.",
                ),
                false,
            );
            input.property(
                "body_base64",
                described(bytes(), "The object's bytes, base64-encoded."),
                false,
            );
            let output = output_schema(ok_ty.as_ref(), wit_ok)?;
            Some(VerbSchemas {
                input: input.one_of_required(&["body", "body_base64"]),
                output: output.0,
                shape: output.1,
                docs,
            })
        }
        (Domain::Storage, "get") => {
            let mut output = Object::default();
            output.fields_of(ok_ty.as_ref()?, wit_ok, Form::Output, |f| f != "body")?;
            output.property(
                "body",
                described(
                    json!({"type": "string"}),
                    "The bytes served, when they are valid UTF-8.",
                ),
                false,
            );
            output.property(
                "body_base64",
                described(
                    bytes(),
                    "The bytes served, base64-encoded, when they are not UTF-8.",
                ),
                false,
            );
            Some(VerbSchemas {
                input: params_schema(verb, wit)?,
                output: output.one_of_required(&["body", "body_base64"]),
                shape: ResultShape::Object,
                docs,
            })
        }
        (Domain::Db, "migrate") => {
            let mut input = Object::default();
            input.property(
                "dir",
                described(
                    json!({"type": "string"}),
                    "The folder of `NNNN_name.sql` migration files, read by the host; \
                     by default the slot's `migrations` setting, else `migrations` in the \
                     daemon's working folder.",
                ),
                false,
            );
            let (_, options) = verb.params.iter().find(|(n, _)| n == "options")?;
            input.fields_of(options, param("options"), Form::Input, |_| true)?;
            let output = output_schema(ok_ty.as_ref(), wit_ok)?;
            Some(VerbSchemas {
                input: input.build(),
                output: output.0,
                shape: output.1,
                docs,
            })
        }
        _ => {
            let output = output_schema(ok_ty.as_ref(), wit_ok)?;
            Some(VerbSchemas {
                input: params_schema(verb, wit)?,
                output: output.0,
                shape: output.1,
                docs,
            })
        }
    }
}

/// The `T` of a verb's `result<T, error>` (or the result itself when it is
/// not a `result`), with its WIT declaration.
fn ok_type<'a>(verb: &Verb, wit: Option<WitType<'a>>) -> (Option<Type>, Option<WitType<'a>>) {
    match &verb.result {
        Some(Type::Result(rt)) => {
            let wit_ok = wit.and_then(|w| match w.kind() {
                WitKind::Result(ok, _) => ok,
                _ => None,
            });
            (rt.ok(), wit_ok)
        }
        other => (other.clone(), wit),
    }
}

/// The schema of a verb's arguments object.
fn params_schema(verb: &Verb, wit: Option<wit_docs::WitFunction<'_>>) -> Option<Value> {
    let mut object = Object::default();
    for (name, ty) in &verb.params {
        object.field(name, ty, wit.and_then(|f| f.param(name)), None, Form::Input)?;
    }
    Some(object.build())
}

/// The schema of a structured result, and how the answer is shaped into it.
fn output_schema(ok: Option<&Type>, wit: Option<WitType<'_>>) -> Option<(Value, ResultShape)> {
    match ok {
        Some(ty @ Type::Record(_)) => Some((schema(ty, wit, Form::Output)?, ResultShape::Object)),
        Some(ty) => {
            let mut object = Object::default();
            object.property("result", schema(ty, wit, Form::Output)?, true);
            Some((object.build(), ResultShape::Wrapped))
        }
        None => {
            let mut object = Object::default();
            object.property(
                "result",
                described(json!({"type": "null"}), "The verb answers nothing."),
                true,
            );
            Some((object.build(), ResultShape::Wrapped))
        }
    }
}

/// The schema of values of `ty`, described with the docs of `wit` where it
/// matches; `None` when JSON cannot carry such values (resources, streams…).
pub fn schema(ty: &Type, wit: Option<WitType<'_>>, form: Form) -> Option<Value> {
    let kind = wit.map(|w| w.kind());
    let mut schema = match ty {
        Type::Bool => json!({"type": "boolean"}),
        Type::S8 => integer(i8::MIN.into(), i8::MAX.into()),
        Type::U8 => integer(u8::MIN.into(), u8::MAX.into()),
        Type::S16 => integer(i16::MIN.into(), i16::MAX.into()),
        Type::U16 => integer(u16::MIN.into(), u16::MAX.into()),
        Type::S32 => integer(i32::MIN.into(), i32::MAX.into()),
        Type::U32 => integer(u32::MIN.into(), u32::MAX.into()),
        Type::S64 => integer(i64::MIN.into(), i64::MAX.into()),
        Type::U64 => integer(u64::MIN.into(), u64::MAX.into()),
        Type::Float32 | Type::Float64 => match form {
            Form::Input => json!({"type": "number"}),
            // Non-finite numbers have no JSON spelling: the mapping writes them as text.
            Form::Output => {
                json!({"anyOf": [{"type": "number"}, {"enum": ["NaN", "inf", "-inf"]}]})
            }
        },
        Type::Char => json!({"type": "string", "minLength": 1, "maxLength": 1}),
        Type::String => json!({"type": "string"}),
        Type::List(list) => {
            let elem = list.ty();
            let wit_elem = match kind {
                Some(WitKind::List(e)) => Some(e),
                _ => None,
            };
            if matches!(elem, Type::U8) {
                bytes()
            } else if let Some(value_ty) = string_keyed_pair(&elem) {
                let wit_value = wit_elem.and_then(|e| match e.kind() {
                    WitKind::Tuple(items) if items.len() == 2 => Some(items[1]),
                    _ => None,
                });
                json!({"type": "object", "additionalProperties": schema(&value_ty, wit_value, form)?})
            } else {
                json!({"type": "array", "items": schema(&elem, wit_elem, form)?})
            }
        }
        Type::Record(_) => {
            let mut object = Object::default();
            object.fields_of(ty, wit, form, |_| true)?;
            object.build()
        }
        Type::Tuple(tuple) => {
            let wit_items = match kind {
                Some(WitKind::Tuple(items)) if items.len() == tuple.types().len() => items,
                _ => Vec::new(),
            };
            let items = tuple
                .types()
                .enumerate()
                .map(|(i, t)| schema(&t, wit_items.get(i).copied(), form))
                .collect::<Option<Vec<_>>>()?;
            json!({"type": "array", "prefixItems": items, "minItems": items.len(), "maxItems": items.len()})
        }
        Type::Variant(variant) => {
            let wit_cases = match kind {
                Some(WitKind::Variant(cases)) => cases,
                _ => Vec::new(),
            };
            let mut cases = Vec::new();
            for case in variant.cases() {
                let wit_case = wit_cases.iter().find(|c| c.0 == case.name);
                let mut branch = match &case.ty {
                    None => json!({"const": case.name}),
                    Some(t) => {
                        let mut object = Object::default();
                        object.property(
                            case.name,
                            schema(t, wit_case.and_then(|c| c.1), form)?,
                            true,
                        );
                        object.build()
                    }
                };
                if let Some(docs) = wit_case.and_then(|c| c.2.clone()) {
                    set_description(&mut branch, docs);
                }
                cases.push(branch);
            }
            json!({"oneOf": cases})
        }
        Type::Enum(en) => {
            let names: Vec<&str> = en.names().collect();
            let mut schema = json!({"type": "string", "enum": names});
            if let Some(WitKind::Enum(cases)) = kind {
                let lines: Vec<String> = cases
                    .iter()
                    .filter(|(name, _)| names.contains(name))
                    .filter_map(|(name, docs)| docs.as_ref().map(|d| format!("- `{name}`: {d}")))
                    .collect();
                if !lines.is_empty() {
                    let intro = wit.and_then(|w| w.docs()).unwrap_or_default();
                    let text = format!("{intro}\n\n{}", lines.join("\n"));
                    set_description(&mut schema, text.trim().to_string());
                }
            }
            schema
        }
        Type::Option(option) => {
            let wit_inner = match kind {
                Some(WitKind::Option(inner)) => Some(inner),
                _ => None,
            };
            json!({"anyOf": [schema(&option.ty(), wit_inner, form)?, {"type": "null"}]})
        }
        Type::Result(result) => {
            let (wit_ok, wit_err) = match kind {
                Some(WitKind::Result(ok, err)) => (ok, err),
                _ => (None, None),
            };
            let side = |key: &str, t: Option<Type>, w: Option<WitType<'_>>| -> Option<Value> {
                let inner = match (t, form) {
                    (Some(t), _) => schema(&t, w, form)?,
                    // No payload: the mapping ignores what is given, and writes null.
                    (None, Form::Input) => json!({}),
                    (None, Form::Output) => json!({"type": "null"}),
                };
                let mut object = Object::default();
                object.property(key, inner, true);
                Some(object.build())
            };
            json!({"oneOf": [side("ok", result.ok(), wit_ok)?, side("err", result.err(), wit_err)?]})
        }
        Type::Flags(flags) => {
            let names: Vec<&str> = flags.names().collect();
            json!({"type": "array", "items": {"type": "string", "enum": names}})
        }
        _ => return None,
    };
    if let Some(docs) = wit.and_then(|w| w.docs())
        && schema.get("description").is_none()
    {
        set_description(&mut schema, docs);
    }
    Some(schema)
}

fn integer(min: i128, max: i128) -> Value {
    // i128 has no JSON spelling; both bounds fit i64 or u64.
    let bound = |n: i128| -> Value {
        u64::try_from(n)
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(n as i64))
    };
    json!({"type": "integer", "minimum": bound(min), "maximum": bound(max)})
}

fn bytes() -> Value {
    json!({"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN})
}

fn described(mut schema: Value, text: &str) -> Value {
    set_description(&mut schema, text.to_string());
    schema
}

fn set_description(schema: &mut Value, text: String) {
    if let Value::Object(o) = schema {
        o.insert("description".into(), Value::String(text));
    }
}

/// An object schema being built: properties in declaration order.
#[derive(Default)]
struct Object {
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl Object {
    /// A field of type `ty`, required when the mapping has no default for it
    /// (inputs) or always (outputs: the mapping writes every field).
    fn field(
        &mut self,
        name: &str,
        ty: &Type,
        wit: Option<WitType<'_>>,
        docs: Option<String>,
        form: Form,
    ) -> Option<()> {
        let mut field = schema(ty, wit, form)?;
        if let Some(docs) = docs {
            set_description(&mut field, docs);
        }
        let required = form == Form::Output || default_for(ty).is_none();
        self.property(&json_name(name), field, required);
        Some(())
    }

    /// The fields of record `ty` that `keep` selects (by WIT name).
    fn fields_of(
        &mut self,
        ty: &Type,
        wit: Option<WitType<'_>>,
        form: Form,
        keep: impl Fn(&str) -> bool,
    ) -> Option<()> {
        let Type::Record(record) = ty else {
            return None;
        };
        let wit_fields = match wit.map(|w| w.kind()) {
            Some(WitKind::Record(fields)) => fields,
            _ => Vec::new(),
        };
        for f in record.fields().filter(|f| keep(f.name)) {
            let wit_field = wit_fields.iter().find(|w| w.0 == f.name);
            self.field(
                f.name,
                &f.ty,
                wit_field.map(|w| w.1),
                wit_field.and_then(|w| w.2.clone()),
                form,
            )?;
        }
        Some(())
    }

    fn property(&mut self, key: &str, schema: Value, required: bool) {
        if required {
            self.required.push(Value::String(key.to_string()));
        }
        self.properties.insert(key.to_string(), schema);
    }

    fn build(self) -> Value {
        let mut schema = json!({"type": "object", "properties": self.properties});
        if !self.required.is_empty() {
            schema["required"] = Value::Array(self.required);
        }
        schema["additionalProperties"] = Value::Bool(false);
        schema
    }

    /// The object, with exactly one of `keys` present.
    fn one_of_required(self, keys: &[&str]) -> Value {
        let mut schema = self.build();
        schema["oneOf"] = keys.iter().map(|k| json!({"required": [k]})).collect();
        schema
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
