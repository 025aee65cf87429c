//! A fake Neon API v2, as `neon-v2.json` (server
//! `https://console.neon.tech/api/v2`, security `BearerAuth`) describes it.
//!
//! Routes (by `operationId`), under `/api/v2`:
//! - `getProject`: `GET /projects/{project_id}` → `ProjectResponse`.
//! - `listProjectBranches`: `GET /projects/{project_id}/branches` →
//!   `BranchesResponse` + `AnnotationsMapResponse` (no pagination: one page).
//! - `createProjectBranch`: `POST /projects/{project_id}/branches`, body
//!   `BranchCreateRequest` (checked: only its properties, `branch.parent_id`
//!   an existing branch, `endpoints[].type` required) → 201 `CreatedBranch`.
//! - `deleteProjectBranch`: `DELETE /projects/{project_id}/branches/{branch_id}`
//!   → 200 `BranchOperations`, or 204 when the branch does not exist.
//! - `listProjectBranchEndpoints`: `GET /projects/{project_id}/branches/{branch_id}/endpoints`
//!   → `EndpointsResponse`.
//!
//! Every answer carries the schema's required properties. Failures are the
//! spec's `GeneralError` (`{"code", "message", "request_id"}`, the `default`
//! response): 401 without `Authorization: Bearer <key>`, 404 for an unknown
//! project or route, 400 for a body that does not fit the schema. The
//! wording of the messages is the fake's own.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{Answer, Seen, Server, check_keys};

pub const PROJECT_ID: &str = "shiny-wind-028834";
const TS: &str = "2024-05-01T12:00:00Z";

#[derive(Clone)]
struct NeonBranch {
    id: String,
    name: String,
    parent_id: Option<String>,
    default: bool,
    endpoint: Option<String>,
}

struct State {
    branches: Vec<NeonBranch>,
    next: u32,
}

pub struct FakeNeon {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer::json(
        status,
        &json!({"code": code, "message": message, "request_id": "fake-request-1"}),
    )
}

fn branch_json(b: &NeonBranch) -> Value {
    let mut v = json!({
        "id": b.id, "project_id": PROJECT_ID, "name": b.name,
        "current_state": "ready", "state_changed_at": TS, "creation_source": "console",
        "created_at": TS, "updated_at": TS, "default": b.default, "primary": b.default,
        "protected": false, "cpu_used_sec": 0, "active_time_seconds": 0,
        "compute_time_seconds": 0, "written_data_bytes": 0, "data_transfer_bytes": 0
    });
    if let Some(p) = &b.parent_id {
        v["parent_id"] = p.as_str().into();
        v["parent_lsn"] = "0/1DE2850".into();
    }
    v
}

fn endpoint_json(id: &str, branch_id: &str) -> Value {
    json!({
        "host": format!("{id}.us-east-2.aws.neon.tech"), "id": id,
        "project_id": PROJECT_ID, "branch_id": branch_id, "region_id": "aws-us-east-2",
        "autoscaling_limit_max_cu": 1, "autoscaling_limit_min_cu": 0.25,
        "type": "read_write", "current_state": "idle", "pooler_enabled": false,
        "pooler_mode": "transaction", "disabled": false, "passwordless_access": true,
        "creation_source": "console", "created_at": TS, "updated_at": TS, "settings": {},
        "proxy_host": "us-east-2.aws.neon.tech", "suspend_timeout_seconds": 0,
        "provisioner": "k8s-neonvm"
    })
}

fn operation_json(action: &str, branch_id: &str) -> Value {
    json!({
        "id": "a07f8772-1877-4da9-a939-3a3ae62d1d8d", "project_id": PROJECT_ID,
        "branch_id": branch_id, "action": action, "status": "finished",
        "failures_count": 0, "created_at": TS, "updated_at": TS, "total_duration_ms": 1
    })
}

fn project_json() -> Value {
    json!({
        "consumption_period_end": TS, "consumption_period_start": TS,
        "active_time_seconds": 0, "compute_time_seconds": 0, "written_data_bytes": 0,
        "data_transfer_bytes": 0, "data_storage_bytes_hour": 0, "id": PROJECT_ID,
        "platform_id": "aws", "region_id": "aws-us-east-2", "name": "shiny",
        "pg_version": 17, "proxy_host": "us-east-2.aws.neon.tech",
        "branch_logical_size_limit": 0, "branch_logical_size_limit_bytes": 0,
        "store_passwords": true, "cpu_used_sec": 0, "provisioner": "k8s-neonvm",
        "creation_source": "console", "history_retention_seconds": 86400,
        "created_at": TS, "updated_at": TS, "owner_id": "fake-owner"
    })
}

impl FakeNeon {
    /// A project `PROJECT_ID` with its default branch `main`, accepting `key`.
    pub fn start(key: &str) -> FakeNeon {
        let state = Arc::new(Mutex::new(State {
            branches: vec![NeonBranch {
                id: "br-main-100".into(),
                name: "main".into(),
                parent_id: None,
                default: true,
                endpoint: Some("ep-main-100".into()),
            }],
            next: 101,
        }));
        let expected = format!("Bearer {key}");
        let st = state.clone();
        let server = Server::start(move |req| {
            if req.header("authorization") != Some(expected.as_str()) {
                return error(
                    401,
                    "",
                    "authorization failed: the API key is missing or invalid",
                );
            }
            handle(&st, req)
        });
        FakeNeon { server, state }
    }

    /// `http://127.0.0.1:PORT/api/v2`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v2", self.server.origin())
    }

    pub fn branch_names(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.branches.iter().map(|b| b.name.clone()).collect()
    }
}

fn handle(state: &Mutex<State>, req: &Seen) -> Answer {
    let Some(rest) = req
        .path
        .strip_prefix(&format!("/api/v2/projects/{PROJECT_ID}"))
    else {
        return error(404, "", "project not found");
    };
    let mut s = state.lock().unwrap();
    let segments: Vec<&str> = rest.split('/').filter(|x| !x.is_empty()).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", []) => Answer::json(200, &json!({"project": project_json()})),
        ("GET", ["branches"]) => {
            // search, sort_by, cursor, sort_order and limit are the spec's
            // parameters; the fake answers one page and takes none of them.
            if !req.query.is_empty() {
                return error(
                    400,
                    "",
                    &format!("unexpected query parameters: {}", req.query),
                );
            }
            let branches: Vec<Value> = s.branches.iter().map(branch_json).collect();
            Answer::json(200, &json!({"branches": branches, "annotations": {}}))
        }
        ("POST", ["branches"]) => {
            let body = match req.json() {
                Ok(b) => b,
                Err(e) => return error(400, "", &e),
            };
            if let Err(e) = check_keys(
                &body,
                &["endpoints", "branch", "annotation_value"],
                &[],
                "BranchCreateRequest",
            ) {
                return error(400, "", &e);
            }
            let spec = body.get("branch").cloned().unwrap_or(json!({}));
            if let Err(e) = check_keys(
                &spec,
                &[
                    "parent_id",
                    "name",
                    "parent_lsn",
                    "parent_timestamp",
                    "protected",
                    "archived",
                    "init_source",
                ],
                &[],
                "BranchCreateRequest.branch",
            ) {
                return error(400, "", &e);
            }
            let mut with_endpoint = false;
            if let Some(eps) = body.get("endpoints") {
                let Some(eps) = eps.as_array() else {
                    return error(400, "", "endpoints must be an array");
                };
                for e in eps {
                    if let Err(m) = check_keys(
                        e,
                        &[
                            "type",
                            "settings",
                            "autoscaling_limit_min_cu",
                            "autoscaling_limit_max_cu",
                            "provisioner",
                            "suspend_timeout_seconds",
                        ],
                        &["type"],
                        "BranchCreateRequestEndpointOptions",
                    ) {
                        return error(400, "", &m);
                    }
                    if !matches!(e["type"].as_str(), Some("read_write" | "read_only")) {
                        return error(400, "", "endpoints[].type must be read_write or read_only");
                    }
                    with_endpoint = true;
                }
            }
            let parent_id = match spec.get("parent_id").and_then(Value::as_str) {
                Some(p) if !s.branches.iter().any(|b| b.id == p) => {
                    return error(404, "", &format!("branch {p} not found"));
                }
                Some(p) => p.to_owned(),
                None => s.branches.iter().find(|b| b.default).unwrap().id.clone(),
            };
            let n = s.next;
            s.next += 1;
            let name = spec
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("br-{n}"));
            let b = NeonBranch {
                id: format!("br-fake-{n}"),
                name,
                parent_id: Some(parent_id),
                default: false,
                endpoint: with_endpoint.then(|| format!("ep-fake-{n}")),
            };
            s.branches.push(b.clone());
            let endpoints: Vec<Value> =
                b.endpoint.iter().map(|e| endpoint_json(e, &b.id)).collect();
            Answer::json(
                201,
                &json!({
                    "branch": branch_json(&b), "endpoints": endpoints,
                    "operations": [operation_json("create_branch", &b.id)],
                    "roles": [], "databases": []
                }),
            )
        }
        ("DELETE", ["branches", id]) => {
            let Some(i) = s.branches.iter().position(|b| b.id == *id) else {
                return Answer::raw(204, "");
            };
            if s.branches[i].default {
                return error(400, "", "cannot delete the project's default branch");
            }
            let b = s.branches.remove(i);
            Answer::json(
                200,
                &json!({
                    "branch": branch_json(&b), "operations": [operation_json("delete_timeline", &b.id)]
                }),
            )
        }
        ("GET", ["branches", id, "endpoints"]) => {
            let Some(b) = s.branches.iter().find(|b| b.id == *id) else {
                return error(404, "", &format!("branch {id} not found"));
            };
            let endpoints: Vec<Value> =
                b.endpoint.iter().map(|e| endpoint_json(e, &b.id)).collect();
            Answer::json(200, &json!({"endpoints": endpoints}))
        }
        _ => error(404, "", &format!("no route {} {}", req.method, req.path)),
    }
}
