//! The verbs against a scripted Management API.

use std::cell::RefCell;
use std::collections::VecDeque;

use paddock_sdk::http::{Headers, HttpError, Method, Request, Response};
use serde_json::{Value as Json, json};

use super::*;

struct Sent {
    method: Method,
    url: String,
    headers: Headers,
    body: Option<Json>,
}

#[derive(Default)]
struct Fake {
    sent: RefCell<Vec<Sent>>,
    answers: RefCell<VecDeque<Response>>,
}

impl Fake {
    fn answer(&self, status: u16, body: &str) -> &Self {
        self.answers.borrow_mut().push_back(Response::from_bytes(
            status,
            Headers::new(),
            body.as_bytes().to_vec(),
        ));
        self
    }
    fn bodies(&self) -> Vec<Json> {
        self.sent
            .borrow()
            .iter()
            .map(|s| s.body.clone().unwrap_or(Json::Null))
            .collect()
    }
}

impl Transport for Fake {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError> {
        self.sent.borrow_mut().push(Sent {
            method: request.method(),
            url: request.url().to_owned(),
            headers: request.headers().clone(),
            body: request
                .body_bytes()
                .map(|b| serde_json::from_slice(b).unwrap()),
        });
        Ok(self
            .answers
            .borrow_mut()
            .pop_front()
            .expect("no answer scripted"))
    }
}

const REF: &str = "abcdefghijklmnopqrst";

fn config() -> Config {
    Config::from_settings(|n| match n {
        "project_ref" => Some(REF.into()),
        "url" => Some(format!("https://{REF}.supabase.co")),
        "api_url" => Some("http://127.0.0.1:9/".into()),
        _ => None,
    })
    .unwrap()
}

#[test]
fn settings_are_checked() {
    let c = config();
    assert_eq!(c.token_secret, "SUPABASE_SERVICE_KEY");
    assert_eq!(c.api_url, "http://127.0.0.1:9");
    let e = Config::from_settings(|n| match n {
        "project_ref" => Some("short".into()),
        "url" => Some("https://x.supabase.co".into()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(e.kind(), "invalid-input");
}

#[test]
fn query_is_read_only_with_typed_parameters_and_ordered_columns() {
    let fake = Fake::default();
    fake.answer(201, r#"[{"z": 1, "a": "x", "j": {"k": [1]}, "n": null}, {"z": 2.5, "a": null, "j": null, "n": null}]"#);
    let got = query(
        &fake,
        &config(),
        "select $1, $2, $3",
        &[Value::Integer(7), Value::Bytes(vec![1, 255]), Value::Null],
    )
    .unwrap();
    let sent = &fake.sent.borrow()[0];
    assert_eq!(sent.method, Method::Post);
    assert_eq!(
        sent.url,
        format!("http://127.0.0.1:9/v1/projects/{REF}/database/query")
    );
    assert_eq!(
        sent.headers.get("authorization"),
        Some("Bearer {{secret:SUPABASE_SERVICE_KEY}}")
    );
    assert_eq!(
        fake.bodies()[0],
        json!({"query": "select $1, $2, $3", "parameters": [7, "\\x01ff", null], "read_only": true})
    );
    let names: Vec<_> = got.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["z", "a", "j", "n"]);
    assert_eq!(got.columns[0].value_type, ValueType::Integer);
    assert_eq!(got.columns[3].value_type, ValueType::Unknown);
    assert_eq!(got.rows_read, 2);
    assert!(matches!(&got.rows[0][2], Value::Json(s) if s == r#"{"k":[1]}"#));
    assert!(matches!(got.rows[1][0], Value::Float(f) if f == 2.5));
}

#[test]
fn execute_is_not_read_only_and_counts_returned_rows() {
    let fake = Fake::default();
    fake.answer(201, "[]").answer(201, r#"[{"id":1},{"id":2}]"#);
    assert_eq!(
        execute(&fake, &config(), "update t set a = 1", &[])
            .unwrap()
            .rows_affected,
        0
    );
    assert_eq!(
        execute(
            &fake,
            &config(),
            "insert into t values (1),(2) returning id",
            &[]
        )
        .unwrap()
        .rows_affected,
        2
    );
    assert_eq!(fake.bodies()[0], json!({"query": "update t set a = 1"}));
}

#[test]
fn database_errors_map_by_sqlstate_and_statuses_otherwise() {
    for (status, body, kind) in [
        (
            500,
            r#"{"message":"Failed to run sql query: ERROR:  25006: cannot execute INSERT in a read-only transaction\n"}"#,
            "access-denied",
        ),
        (
            400,
            r#"{"message":"Failed to run sql query: ERROR:  42P01: relation \"nope\" does not exist"}"#,
            "not-found",
        ),
        (
            400,
            r#"{"message":"Failed to run sql query: ERROR:  42601: syntax error at or near \"selec\""}"#,
            "invalid-input",
        ),
        (
            400,
            r#"{"message":"Failed to run sql query: ERROR:  23505: duplicate key value"}"#,
            "conflict",
        ),
        (401, r#"{"message":"Unauthorized"}"#, "access-denied"),
        (403, r#"{"message":"Forbidden"}"#, "access-denied"),
        (429, r#"{"message":"Too many"}"#, "unavailable"),
        (500, "oops", "unavailable"),
    ] {
        let fake = Fake::default();
        fake.answer(status, body);
        let e = execute(&fake, &config(), "x", &[]).unwrap_err();
        assert_eq!(e.kind(), kind, "{status} {body}");
    }
    assert_eq!(api::sqlstate("ERROR:  42P01: x"), Some("42P01"));
    assert_eq!(api::sqlstate("ERROR: nope"), None);
}

fn m(version: u64, sql: &str, checksum: &str) -> Migration {
    Migration {
        version,
        name: format!("m{version}"),
        sql: sql.into(),
        checksum: checksum.into(),
    }
}

#[test]
fn migrate_records_each_migration_in_the_same_request() {
    let fake = Fake::default();
    fake.answer(201, r#"[{"present": true}]"#)
        .answer(201, r#"[{"version": 1, "name": "m1", "checksum": "c1"}]"#)
        .answer(201, "[]")
        .answer(201, "[]");
    let report = migrate::migrate(
        &fake,
        &config(),
        vec![
            m(2, "create table b (id int)", "c2"),
            m(1, "x", "c1"),
            m(3, "y", "c3"),
        ],
        MigrateOptions {
            target: Some(2),
            dry_run: false,
        },
    )
    .unwrap();
    let states: Vec<_> = report
        .migrations
        .iter()
        .map(|s| (s.version, s.state))
        .collect();
    assert_eq!(
        states,
        [
            (1, MigrationState::Applied),
            (2, MigrationState::AppliedNow),
            (3, MigrationState::Skipped)
        ]
    );
    assert_eq!(report.current_version, Some(2));
    let bodies = fake.bodies();
    assert_eq!(bodies[0]["read_only"], true);
    assert!(
        bodies[2]["query"]
            .as_str()
            .unwrap()
            .starts_with("CREATE TABLE IF NOT EXISTS _paddock_migrations")
    );
    assert_eq!(
        bodies[3]["query"],
        "create table b (id int)\n;\nINSERT INTO _paddock_migrations (version, name, checksum) VALUES (2, 'm2', 'c2')"
    );
}

#[test]
fn migrate_reports_edits_as_conflict_and_dry_runs_change_nothing() {
    let fake = Fake::default();
    for _ in 0..2 {
        fake.answer(201, r#"[{"present": 1}]"#).answer(
            201,
            r#"[{"version": "1", "name": "m1", "checksum": "old"}]"#,
        );
    }
    let e = migrate::migrate(
        &fake,
        &config(),
        vec![m(1, "x", "new")],
        MigrateOptions {
            target: None,
            dry_run: false,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), "conflict");
    let r = migrate::migrate(
        &fake,
        &config(),
        vec![m(1, "x", "new"), m(2, "y", "c2")],
        MigrateOptions {
            target: None,
            dry_run: true,
        },
    )
    .unwrap();
    let states: Vec<_> = r.migrations.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [MigrationState::ChecksumMismatch, MigrationState::Pending]
    );
    assert_eq!(fake.sent.borrow().len(), 4, "only reads went out");
    assert!(fake.bodies().iter().all(|b| b["read_only"] == true));
}

fn branch(name: &str, own: &str, default: bool) -> Json {
    json!({"id": "0b8a7c62-0000-4000-8000-000000000000", "name": name, "project_ref": own,
           "parent_project_ref": REF, "is_default": default, "persistent": false,
           "status": "MIGRATIONS_PASSED", "created_at": "2025-01-01T00:00:00Z",
           "updated_at": "2025-01-01T00:00:00Z", "with_data": false})
}

#[test]
fn branches_list_create_and_delete_by_ref() {
    let list = json!([
        branch("main", REF, true),
        branch("dev", "bbbbbbbbbbbbbbbbbbbb", false)
    ])
    .to_string();
    let fake = Fake::default();
    fake.answer(200, &list)
        .answer(200, &list)
        .answer(
            201,
            &branch("feat", "cccccccccccccccccccc", false).to_string(),
        )
        .answer(200, &list)
        .answer(200, r#"{"message":"ok"}"#);
    let got = list_branches(&fake, &config()).unwrap();
    assert_eq!(got[1].parent.as_deref(), Some("main"));
    assert_eq!(got[0].parent, None);
    let b = create_branch(&fake, &config(), "feat", Some("main")).unwrap();
    assert_eq!(b.id, "cccccccccccccccccccc");
    assert_eq!(fake.bodies()[2], json!({"branch_name": "feat"}));
    delete_branch(&fake, &config(), "dev").unwrap();
    let sent = fake.sent.borrow();
    assert_eq!(sent[4].method, Method::Delete);
    assert_eq!(
        sent[4].url,
        "http://127.0.0.1:9/v1/branches/bbbbbbbbbbbbbbbbbbbb"
    );
}

#[test]
fn create_from_another_parent_is_unsupported() {
    let list = json!([
        branch("main", REF, true),
        branch("dev", "bbbbbbbbbbbbbbbbbbbb", false)
    ])
    .to_string();
    let fake = Fake::default();
    fake.answer(200, &list);
    let e = create_branch(&fake, &config(), "x", Some("dev")).unwrap_err();
    assert_eq!(e.kind(), "unsupported");
}
