//! The verbs against a scripted Neon: the requests they build (method, URL,
//! auth header, body) and how they read the answers.

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
struct FakeNeon {
    sent: RefCell<Vec<Sent>>,
    answers: RefCell<VecDeque<Response>>,
}

impl FakeNeon {
    fn answer(&self, status: u16, body: Json) -> &Self {
        self.answers.borrow_mut().push_back(Response::from_bytes(
            status,
            Headers::new(),
            body.to_string().into_bytes(),
        ));
        self
    }
    fn lines(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|s| format!("{} {}", s.method, s.url))
            .collect()
    }
}

impl Transport for FakeNeon {
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

fn config() -> Config {
    Config::from_settings(|n| match n {
        "project_id" => Some("shiny-wind-028834".into()),
        "api_url" => Some("http://127.0.0.1:9/api/v2/".into()),
        _ => None,
    })
    .unwrap()
}

fn branch(id: &str, name: &str, parent: Option<&str>, default: bool) -> Json {
    let mut b = json!({"id": id, "project_id": "shiny-wind-028834", "name": name,
        "current_state": "ready", "state_changed_at": "2022-11-30T20:09:48Z",
        "creation_source": "console", "created_at": "2022-11-23T17:42:25Z",
        "updated_at": "2022-11-23T17:42:26Z", "default": default, "protected": false,
        "cpu_used_sec": 0, "active_time_seconds": 0, "compute_time_seconds": 0,
        "written_data_bytes": 0, "data_transfer_bytes": 0});
    if let Some(p) = parent {
        b["parent_id"] = p.into();
    }
    b
}

fn two_branches() -> Json {
    json!({"branches": [branch("br-main-1", "main", None, true),
                        branch("br-dev-2", "dev", Some("br-main-1"), false)]})
}

#[test]
fn settings_are_checked_and_defaulted() {
    let c = Config::from_settings(|n| (n == "project_id").then(|| "p-1".into())).unwrap();
    assert_eq!(c.api_url, "https://console.neon.tech/api/v2");
    assert_eq!(
        (c.database.as_str(), c.role.as_str()),
        ("neondb", "neondb_owner")
    );
    for bad in ["Has-Upper", "a/b", ""] {
        let e = Config::from_settings(|n| (n == "project_id").then(|| bad.into())).unwrap_err();
        assert_eq!(e.kind(), "invalid-input", "{bad}");
    }
}

#[test]
fn lists_branches_with_parent_names_and_the_bearer_placeholder() {
    let fake = FakeNeon::default();
    fake.answer(200, two_branches());
    let got = list_branches(&fake, &config()).unwrap();
    assert_eq!(
        fake.lines(),
        ["GET http://127.0.0.1:9/api/v2/projects/shiny-wind-028834/branches"]
    );
    let sent = &fake.sent.borrow()[0];
    assert_eq!(
        sent.headers.get("authorization"),
        Some("Bearer {{secret:NEON_API_KEY}}")
    );
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].name.as_str(), got[0].primary), ("main", true));
    assert_eq!(got[1].parent.as_deref(), Some("main"));
    assert_eq!(got[1].id, "br-dev-2");
}

#[test]
fn follows_the_pagination_cursor() {
    let fake = FakeNeon::default();
    fake.answer(
        200,
        json!({"branches": [branch("br-a", "a", None, true)], "pagination": {"next": "c 1"}}),
    )
    .answer(200, json!({"branches": [], "pagination": {"next": "c 2"}}));
    assert_eq!(list_branches(&fake, &config()).unwrap().len(), 1);
    assert_eq!(
        fake.lines()[1],
        "GET http://127.0.0.1:9/api/v2/projects/shiny-wind-028834/branches?cursor=c%201"
    );
}

#[test]
fn creates_a_branch_from_a_named_parent() {
    let fake = FakeNeon::default();
    fake.answer(200, two_branches()).answer(
        201,
        json!({"branch": branch("br-feat-3", "feat", Some("br-dev-2"), false),
               "endpoints": [], "operations": [], "roles": [], "databases": []}),
    );
    let b = create_branch(&fake, &config(), "feat", Some("dev")).unwrap();
    assert_eq!(b.parent.as_deref(), Some("dev"));
    let sent = fake.sent.borrow();
    assert_eq!(sent[1].method, Method::Post);
    assert_eq!(
        sent[1].body.as_ref().unwrap(),
        &json!({"branch": {"name": "feat", "parent_id": "br-dev-2"},
                "endpoints": [{"type": "read_write"}]})
    );
    assert_eq!(
        sent[1].headers.get("content-type"),
        Some("application/json")
    );
}

#[test]
fn create_refuses_duplicates_and_unknown_parents_before_calling_neon() {
    let fake = FakeNeon::default();
    fake.answer(200, two_branches()).answer(200, two_branches());
    let e = create_branch(&fake, &config(), "dev", None).unwrap_err();
    assert_eq!(e.kind(), "already-exists");
    let e = create_branch(&fake, &config(), "x", Some("nope")).unwrap_err();
    assert_eq!(e.kind(), "not-found");
    assert_eq!(fake.lines().len(), 2, "only the two listings went out");
}

#[test]
fn deletes_by_id_and_protects_the_default_branch() {
    let fake = FakeNeon::default();
    fake.answer(200, two_branches())
        .answer(
            200,
            json!({"branch": branch("br-dev-2", "dev", None, false), "operations": []}),
        )
        .answer(200, two_branches())
        .answer(200, two_branches());
    delete_branch(&fake, &config(), "dev").unwrap();
    assert_eq!(
        fake.lines()[1],
        "DELETE http://127.0.0.1:9/api/v2/projects/shiny-wind-028834/branches/br-dev-2"
    );
    assert_eq!(
        delete_branch(&fake, &config(), "main").unwrap_err().kind(),
        "conflict"
    );
    assert_eq!(
        delete_branch(&fake, &config(), "gone").unwrap_err().kind(),
        "not-found"
    );
}

#[test]
fn general_errors_map_onto_wit_errors() {
    for (status, kind) in [
        (401, "access-denied"),
        (403, "access-denied"),
        (404, "not-found"),
        (409, "conflict"),
        (423, "unavailable"),
        (429, "unavailable"),
        (400, "invalid-input"),
        (503, "unavailable"),
        (418, "vendor"),
    ] {
        let fake = FakeNeon::default();
        fake.answer(
            status,
            json!({"code": "SOME_CODE", "message": "it went wrong", "request_id": "req-1"}),
        );
        let e = list_branches(&fake, &config()).unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert!(e.message().contains("it went wrong"), "{}", e.message());
        assert!(e.message().contains("req-1"), "{}", e.message());
    }
}

#[test]
fn health_reports_the_project_and_a_passwordless_url() {
    let fake = FakeNeon::default();
    fake.answer(
        200,
        json!({"project": {"id": "shiny-wind-028834", "name": "shiny", "region_id": "aws-us-east-2", "pg_version": 17}}),
    )
    .answer(200, two_branches())
    .answer(
        200,
        json!({"endpoints": [{"host": "ep-1.us-east-2.aws.neon.tech", "id": "ep-1", "type": "read_write"}]}),
    );
    let h = health(&fake, &config()).unwrap();
    assert!(h.healthy);
    let get = |k: &str| {
        h.details
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("pg_version").as_deref(), Some("17"));
    assert_eq!(get("branch").as_deref(), Some("main"));
    assert_eq!(
        get("postgres_url").as_deref(),
        Some("postgresql://neondb_owner@ep-1.us-east-2.aws.neon.tech/neondb?sslmode=require")
    );
    assert_eq!(
        fake.lines()[2],
        "GET http://127.0.0.1:9/api/v2/projects/shiny-wind-028834/branches/br-main-1/endpoints"
    );
}

#[test]
fn sql_verbs_point_to_the_postgres_driver() {
    let e = sql_unsupported("query");
    assert_eq!(e.kind(), "unsupported");
    assert!(e.message().contains("postgres") && e.message().contains("postgres_url"));
}
