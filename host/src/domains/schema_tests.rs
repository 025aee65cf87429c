//! The schemas against the mapping they describe: for every verb of the fake
//! drivers, canonical arguments built from the verb's own types must pass both
//! the schema and the mapping, and broken ones must fail both. The answers the
//! mapping writes must pass the output schema.

use super::*;
use crate::domains::{db, json, params_from_json, storage};
use crate::runtime::{CodeCache, Driver, Limits, Runtime};
use std::path::PathBuf;
use wasmtime::component::Val;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is in the workspace")
        .to_path_buf()
}

/// The fake drivers, or `None` (with a note) when they are not built.
async fn fake_drivers() -> Option<(Runtime, Vec<Driver>)> {
    let dir = std::env::var_os("PADDOCK_TEST_PLUGINS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".paddock/plugins"));
    let files: Vec<PathBuf> = ["fake_db", "fake_storage", "fake_deploy"]
        .iter()
        .map(|n| dir.join(format!("{n}.wasm")))
        .collect();
    if let Some(missing) = files.iter().find(|f| !f.is_file()) {
        eprintln!(
            "skipping: {} is missing; build the drivers with `cargo xtask build`",
            missing.display()
        );
        return None;
    }
    let runtime = Runtime::new(Limits {
        max_instances: 8,
        ..Limits::default()
    })
    .expect("engine");
    let cache = CodeCache::new(Some(workspace().join("target/test-cache")));
    let mut drivers = Vec::new();
    for file in &files {
        drivers.push(
            Driver::load(&runtime, &cache, file)
                .await
                .unwrap_or_else(|e| panic!("loading {}: {e}", file.display())),
        );
    }
    Some((runtime, drivers))
}

/// A WIT value of `ty`; `k` picks the variant or enum case, whether an
/// option is set, how long a list is.
fn sample(ty: &Type, k: usize) -> Val {
    let even = k.is_multiple_of(2);
    match ty {
        Type::Bool => Val::Bool(even),
        Type::S8 => Val::S8(if even { i8::MIN } else { 7 }),
        Type::U8 => Val::U8(if even { u8::MAX } else { 7 }),
        Type::S16 => Val::S16(if even { i16::MIN } else { 7 }),
        Type::U16 => Val::U16(if even { u16::MAX } else { 7 }),
        Type::S32 => Val::S32(if even { i32::MIN } else { 7 }),
        Type::U32 => Val::U32(if even { u32::MAX } else { 7 }),
        Type::S64 => Val::S64(if even { i64::MIN } else { 7 }),
        Type::U64 => Val::U64(if even { u64::MAX } else { 7 }),
        Type::Float32 => Val::Float32(1.5),
        Type::Float64 => Val::Float64(-2.25),
        Type::Char => Val::Char('é'),
        Type::String => Val::String(format!("text {k}")),
        Type::List(l) => Val::List((0..k % 3).map(|i| sample(&l.ty(), k + i)).collect()),
        Type::Record(r) => Val::Record(
            r.fields()
                .map(|f| (f.name.to_string(), sample(&f.ty, k)))
                .collect(),
        ),
        Type::Tuple(t) => Val::Tuple(t.types().map(|t| sample(&t, k)).collect()),
        Type::Variant(v) => {
            let cases: Vec<_> = v.cases().collect();
            let case = &cases[k % cases.len()];
            Val::Variant(
                case.name.to_string(),
                case.ty.as_ref().map(|t| Box::new(sample(t, k + 1))),
            )
        }
        Type::Enum(e) => {
            let names: Vec<&str> = e.names().collect();
            Val::Enum(names[k % names.len()].to_string())
        }
        Type::Option(o) => Val::Option(even.then(|| Box::new(sample(&o.ty(), k)))),
        Type::Result(r) => {
            if even {
                Val::Result(Ok(r.ok().map(|t| Box::new(sample(&t, k)))))
            } else {
                Val::Result(Err(r.err().map(|t| Box::new(sample(&t, k)))))
            }
        }
        Type::Flags(f) => Val::Flags(f.names().take(k % 3).map(str::to_string).collect()),
        other => panic!("no JSON sample of {}", json::type_name(other)),
    }
}

/// A JSON value the mapping never accepts for `ty`.
fn wrong(ty: &Type) -> Value {
    match ty {
        Type::Bool => json!("true"),
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64 => json!(true),
        Type::Float32 | Type::Float64 => json!("1.5"),
        Type::Char => json!("ab"),
        Type::String => json!(5),
        Type::List(l) if matches!(l.ty(), Type::U8) => json!("not base64!"),
        Type::List(_) | Type::Record(_) | Type::Tuple(_) | Type::Result(_) => json!("x"),
        Type::Variant(_) => json!(5),
        Type::Enum(_) => json!("no-such-case"),
        Type::Option(o) => wrong(&o.ty()),
        Type::Flags(_) => json!(["no-such-flag"]),
        other => panic!("no wrong value of {}", json::type_name(other)),
    }
}

struct Checker {
    tool: String,
    validator: jsonschema::Validator,
    checked: usize,
}

impl Checker {
    fn new(tool: String, schema: &Value) -> Checker {
        assert!(
            jsonschema::meta::is_valid(schema),
            "{tool}: not a valid JSON Schema: {schema:#}"
        );
        let validator = jsonschema::validator_for(schema)
            .unwrap_or_else(|e| panic!("{tool}: the schema does not compile: {e}"));
        Checker {
            tool,
            validator,
            checked: 0,
        }
    }

    /// Asserts that the schema and the mapping both accept (or both reject) `value`.
    #[track_caller]
    fn expect(&mut self, value: &Value, mapping: Result<(), String>, valid: bool) {
        let errors: Vec<String> = self
            .validator
            .iter_errors(value)
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errors.is_empty(),
            valid,
            "{}: the schema {} {value} ({errors:?})",
            self.tool,
            if valid {
                "rejects the valid"
            } else {
                "accepts the invalid"
            },
        );
        assert_eq!(
            mapping.is_ok(),
            valid,
            "{}: the mapping {} {value} ({mapping:?})",
            self.tool,
            if valid {
                "rejects the valid"
            } else {
                "accepts the invalid"
            },
        );
        self.checked += 1;
    }
}

/// What the service does with a verb's JSON arguments before any driver runs.
fn mapping(domain: Domain, verb: &Verb, args: &Value) -> Result<(), String> {
    let text = |e: crate::CallError| e.message;
    match (domain, verb.name.as_str()) {
        (Domain::Storage, "put") => {
            let mut args = args.clone();
            storage::normalize_put_args(&mut args);
            storage::inline_body(&args)
                .map_err(text)?
                .ok_or("no body")?;
            if let Value::Object(o) = &mut args {
                o.remove("body");
                o.remove("body_base64");
            }
            let fields = verb
                .params
                .iter()
                .filter(|(n, _)| n != "body")
                .map(|(n, t)| (n.as_str(), t.clone()));
            json::fields_to_vals(&args, fields, "")
                .map(drop)
                .map_err(|e| e.to_string())
        }
        (Domain::Db, "migrate") => db::migrate_args(args, None)
            .and_then(|a| params_from_json(verb, &a))
            .map(drop)
            .map_err(text),
        _ => params_from_json(verb, args).map(drop).map_err(text),
    }
}

fn check_generic_inputs(checker: &mut Checker, domain: Domain, verb: &Verb) {
    for k in 0..12 {
        let full: Map<String, Value> = verb
            .params
            .iter()
            .map(|(n, t)| (json_name(n), json::from_val(&sample(t, k), t)))
            .collect();
        let full = Value::Object(full);
        checker.expect(&full, mapping(domain, verb, &full), true);
        let minimal: Map<String, Value> = verb
            .params
            .iter()
            .filter(|(_, t)| json::default_for(t).is_none())
            .map(|(n, t)| (json_name(n), json::from_val(&sample(t, k), t)))
            .collect();
        let minimal = Value::Object(minimal);
        checker.expect(&minimal, mapping(domain, verb, &minimal), true);

        let mut extra = full.clone();
        extra["no_such_argument"] = json!(1);
        checker.expect(&extra, mapping(domain, verb, &extra), false);
        for (name, ty) in &verb.params {
            let key = json_name(name);
            let mut broken = full.clone();
            broken[&key] = wrong(ty);
            checker.expect(&broken, mapping(domain, verb, &broken), false);
            if json::default_for(ty).is_none() {
                let mut missing = full.clone();
                missing.as_object_mut().unwrap().remove(&key);
                checker.expect(&missing, mapping(domain, verb, &missing), false);
            }
            if let Type::Record(record) = ty {
                let mut extra = full.clone();
                extra[&key]["no_such_field"] = json!(1);
                checker.expect(&extra, mapping(domain, verb, &extra), false);
                for field in record.fields() {
                    let mut broken = full.clone();
                    broken[&key][json_name(field.name)] = wrong(&field.ty);
                    checker.expect(&broken, mapping(domain, verb, &broken), false);
                }
            }
        }
    }
}

fn check_put_inputs(checker: &mut Checker, verb: &Verb) {
    let d = Domain::Storage;
    let valid = [
        json!({"container": "default", "key": "a.txt", "body": "hello"}),
        json!({"container": "default", "key": "a.bin", "body_base64": "AAEC/w=="}),
        json!({"container": "default", "key": "a.txt", "body": "", "content_type": "text/plain", "metadata": {"owner": "me"}}),
        json!({"container": "default", "key": "a.txt", "body": "x", "content_type": null}),
    ];
    for args in &valid {
        checker.expect(args, mapping(d, verb, args), true);
    }
    let invalid = [
        json!({"container": "default", "key": "a.txt"}),
        json!({"container": "default", "key": "a.txt", "body": "x", "body_base64": "eA=="}),
        json!({"container": "default", "key": "a.txt", "body": 5}),
        json!({"container": "default", "key": "a.txt", "body_base64": "not base64!"}),
        json!({"container": "default", "key": "a.txt", "body_base64": "QR=="}),
        json!({"key": "a.txt", "body": "x"}),
        json!({"container": 5, "key": "a.txt", "body": "x"}),
        json!({"container": "default", "key": "a.txt", "body": "x", "content_type": 5}),
        json!({"container": "default", "key": "a.txt", "body": "x", "metadata": "x"}),
        json!({"container": "default", "key": "a.txt", "body": "x", "metadata": {"n": 1}}),
        json!({"container": "default", "key": "a.txt", "body": "x", "no_such_argument": 1}),
    ];
    for args in &invalid {
        checker.expect(args, mapping(d, verb, args), false);
    }
}

fn check_migrate_inputs(checker: &mut Checker, verb: &Verb) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("0001_init.sql"), "create table t (x int);").unwrap();
    let dir = dir.path().display().to_string();
    let d = Domain::Db;
    for args in [
        json!({"dir": dir}),
        json!({"dir": dir, "target": 1, "dry_run": true}),
        json!({"dir": dir, "target": null, "dry_run": false}),
    ] {
        checker.expect(&args, mapping(d, verb, &args), true);
    }
    for args in [
        json!({"dir": 5}),
        json!({"dir": dir, "target": -1}),
        json!({"dir": dir, "target": true}),
        json!({"dir": dir, "dry_run": "yes"}),
        json!({"dir": dir, "no_such_argument": 1}),
    ] {
        checker.expect(&args, mapping(d, verb, &args), false);
    }
}

fn check_outputs(checker: &mut Checker, verb: &Verb, schemas: &VerbSchemas) {
    let ok = match &verb.result {
        Some(Type::Result(rt)) => rt.ok(),
        other => other.clone(),
    };
    for k in 0..12 {
        let answer = match &ok {
            Some(t) => json::from_val(&sample(t, k), t),
            None => Value::Null,
        };
        let structured = schemas.shape.apply(answer);
        checker.expect(&structured, Ok(()), true);
    }
    checker.expect(
        &json!({"unexpected": true}),
        Err("not an answer".into()),
        false,
    );
}

fn check_get_outputs(checker: &mut Checker, verb: &Verb) {
    let Some(Type::Result(rt)) = &verb.result else {
        panic!("get returns a result")
    };
    let Some(Type::Record(content)) = rt.ok() else {
        panic!("get answers a record")
    };
    let meta_ty = content.fields().find(|f| f.name == "meta").unwrap().ty;
    for k in 0..4 {
        let meta = json::from_val(&sample(&meta_ty, k), &meta_ty);
        for (answer, valid) in [
            (
                json!({"meta": meta, "offset": 0, "length": 2, "body": "hi"}),
                true,
            ),
            (
                json!({"meta": meta, "offset": 1, "length": 1, "body_base64": "/w=="}),
                true,
            ),
            (json!({"meta": meta, "offset": 0, "length": 2}), false),
            (
                json!({"meta": meta, "offset": 0, "length": 2, "body": "hi", "body_base64": "aGk="}),
                false,
            ),
        ] {
            let verdict = if valid {
                Ok(())
            } else {
                Err("not an answer".into())
            };
            checker.expect(&answer, verdict, valid);
        }
    }
}

#[tokio::test]
async fn schemas_agree_with_the_mapping_on_every_verb_of_the_fakes() {
    let Some((_runtime, drivers)) = fake_drivers().await else {
        return;
    };
    let mut tools = 0;
    let mut checked = 0;
    for driver in &drivers {
        for verb in driver.verbs() {
            let tool = format!("{}.{}", driver.domain, json_name(&verb.name));
            let schemas = verb_schemas(driver.domain, verb)
                .unwrap_or_else(|| panic!("{tool}: no schema; every verb of the fakes is JSON"));
            let mut input = Checker::new(format!("{tool} input"), &schemas.input);
            match (driver.domain, verb.name.as_str()) {
                (Domain::Storage, "put") => check_put_inputs(&mut input, verb),
                (Domain::Db, "migrate") => check_migrate_inputs(&mut input, verb),
                (domain, _) => check_generic_inputs(&mut input, domain, verb),
            }
            let mut output = Checker::new(format!("{tool} output"), &schemas.output);
            match (driver.domain, verb.name.as_str()) {
                (Domain::Storage, "get") => check_get_outputs(&mut output, verb),
                _ => check_outputs(&mut output, verb, &schemas),
            }
            tools += 1;
            checked += input.checked + output.checked;
        }
    }
    assert!(tools >= 30, "only {tools} verbs");
    eprintln!("{tools} verbs, {checked} values checked");
}

#[tokio::test]
async fn schemas_carry_the_wit_docs_and_the_prepared_verbs_forms() {
    let Some((_runtime, drivers)) = fake_drivers().await else {
        return;
    };
    let find = |domain: Domain, verb: &str| {
        let driver = drivers.iter().find(|d| d.domain == domain).unwrap();
        verb_schemas(domain, driver.verb(verb).unwrap()).unwrap()
    };
    let query = find(Domain::Db, "query");
    assert!(
        query
            .docs
            .unwrap()
            .starts_with("Runs a read-only statement.")
    );
    assert_eq!(query.input["required"], json!(["sql"]));
    assert_eq!(query.input["additionalProperties"], json!(false));
    assert_eq!(
        query.input["properties"]["params"]["items"]["description"],
        json!("A typed SQL value.")
    );
    assert_eq!(query.shape, ResultShape::Object);

    let migrate = find(Domain::Db, "migrate");
    let keys: Vec<&String> = migrate.input["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["dir", "dry_run", "target"]);
    assert_eq!(
        migrate.input["properties"]["target"]["description"],
        json!("Apply up to and including this version; all when none.")
    );
    assert!(migrate.input.get("required").is_none());

    let put = find(Domain::Storage, "put");
    let keys: Vec<&String> = put.input["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys,
        [
            "body",
            "body_base64",
            "container",
            "content_type",
            "key",
            "metadata"
        ]
    );
    assert_eq!(put.input["required"], json!(["container", "key"]));

    let branches = find(Domain::Db, "list-branches");
    assert_eq!(branches.shape, ResultShape::Wrapped);
    assert_eq!(branches.output["required"], json!(["result"]));

    let write = find(Domain::Db, "write-rows");
    let mode = &write.input["properties"]["mode"];
    assert_eq!(mode["enum"], json!(["append", "overwrite", "upsert"]));
    assert!(
        mode["description"]
            .as_str()
            .unwrap()
            .contains("- `upsert`: Insert or update")
    );

    let create = find(Domain::Deploy, "create");
    let source = &create.input["properties"]["request"]["properties"]["source"];
    assert_eq!(source["description"], json!("What to deploy."));
    assert_eq!(source["oneOf"][0]["required"], json!(["folder"]));
    let env = &create.input["properties"]["request"]["properties"]["env"];
    assert_eq!(env["additionalProperties"], json!({"type": "string"}));
}

#[test]
fn non_finite_floats_are_text_in_answers() {
    let f64_out = schema(&Type::Float64, None, Form::Output).unwrap();
    let validator = jsonschema::validator_for(&f64_out).unwrap();
    for v in [
        json::from_val(&Val::Float64(f64::NAN), &Type::Float64),
        json::from_val(&Val::Float64(f64::INFINITY), &Type::Float64),
        json::from_val(&Val::Float64(f64::NEG_INFINITY), &Type::Float64),
        json!(1.5),
    ] {
        assert!(validator.is_valid(&v), "{v}");
    }
    assert!(!validator.is_valid(&json!("1.5")));
}

#[test]
fn the_base64_pattern_is_what_the_mapping_decodes() {
    use base64::Engine as _;
    let re = jsonschema::validator_for(&bytes()).unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    for len in 0..7 {
        let data: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
        assert!(re.is_valid(&json!(engine.encode(&data))));
    }
    for text in ["QR==", "QUI", "QUJ=", "a", "QUJD\n", "QU=J", "Q===", "****"] {
        assert!(engine.decode(text).is_err(), "{text} decodes");
        assert!(!re.is_valid(&json!(text)), "the pattern accepts {text}");
    }
}
