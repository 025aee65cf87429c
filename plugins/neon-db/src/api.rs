//! Requests to the Neon API v2 (`neon-v2.json`, server
//! `https://console.neon.tech/api/v2`, `BearerAuth`) and what its answers
//! become. The key never enters the driver: the `Authorization` header
//! carries the `{{secret:NEON_API_KEY}}` placeholder, which the host fills
//! in on requests to the origins the slot grants.
//!
//! Operations used (by `operationId`): `getProject`, `listProjectBranches`,
//! `createProjectBranch`, `deleteProjectBranch`, `listProjectBranchEndpoints`.
//! Errors are the spec's `GeneralError` (`{"code", "message", "request_id"}`).

use paddock_sdk::http::{HttpError, Request, Response, percent_encode, query_string};
use paddock_sdk::{Error, Result, Setting, secrets};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The secret the manifest asks for.
pub const API_KEY_SECRET: &str = "NEON_API_KEY";
/// The spec's server.
pub const DEFAULT_API_URL: &str = "https://console.neon.tech/api/v2";

/// Sends requests: `wasi:http` in the driver, a scripted fake in unit tests.
pub trait Transport {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError>;
}

/// `wasi:http`, through the host (which polices every request and fills in the key).
pub struct WasiHttp;

impl Transport for WasiHttp {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError> {
        request.send()
    }
}

/// The resolved settings of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The API base URL without a trailing `/`.
    pub api_url: String,
    pub project_id: String,
    /// The branch `health` reports connection details for (name or id);
    /// the project's default branch when unset.
    pub branch: Option<String>,
    pub database: String,
    pub role: String,
}

/// The settings the manifest declares.
pub fn declared() -> Vec<Setting> {
    let setting =
        |name: &str, description: &str, required, env: Option<&str>, default: Option<&str>| {
            Setting {
                name: name.into(),
                description: description.into(),
                required,
                env: env.map(Into::into),
                default_value: default.map(Into::into),
                schema: None,
            }
        };
    vec![
        setting(
            "project_id",
            "The Neon project ID (shiny-wind-028834)",
            true,
            Some("NEON_PROJECT_ID"),
            None,
        ),
        setting(
            "api_url",
            "Base URL of the Neon API v2; the slot must grant its origin",
            false,
            Some("NEON_API_URL"),
            Some(DEFAULT_API_URL),
        ),
        setting(
            "branch",
            "Branch (name or id) whose connection details `health` reports; the project's default branch when unset",
            false,
            Some("NEON_BRANCH"),
            None,
        ),
        setting(
            "database",
            "Database name used in the reported connection URI",
            false,
            None,
            Some("neondb"),
        ),
        setting(
            "role",
            "Role name used in the reported connection URI",
            false,
            None,
            Some("neondb_owner"),
        ),
    ]
}

impl Config {
    /// From the slot's settings.
    pub fn load() -> Result<Config> {
        Config::from_settings(paddock_sdk::settings::get)
    }

    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let project_id = get("project_id").ok_or_else(|| {
            Error::invalid_input("setting 'project_id' (NEON_PROJECT_ID) is not set")
        })?;
        if !is_neon_id(&project_id) {
            return Err(Error::invalid_input(format!(
                "project_id '{project_id}' is not a Neon project ID (lowercase letters, digits and '-', at most 60)"
            )));
        }
        let api_url = get("api_url").unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let api_url = api_url.trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(Error::invalid_input(format!(
                "api_url '{api_url}' must be an http or https URL"
            )));
        }
        Ok(Config {
            api_url,
            project_id,
            branch: get("branch").filter(|b| !b.is_empty()),
            database: get("database").unwrap_or_else(|| "neondb".into()),
            role: get("role").unwrap_or_else(|| "neondb_owner".into()),
        })
    }

    /// `{api_url}/projects/{project_id}{rest}`.
    pub fn project_url(&self, rest: &str) -> String {
        format!("{}/projects/{}{rest}", self.api_url, self.project_id)
    }
}

/// The spec's pattern for project, branch and endpoint IDs: `^[a-z0-9-]{1,60}$`.
pub fn is_neon_id(s: &str) -> bool {
    (1..=60).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Adds the headers every request carries.
pub fn authorized(request: Request<'_>) -> Request<'_> {
    request
        .header(
            "authorization",
            format!("Bearer {}", secrets::placeholder(API_KEY_SECRET)),
        )
        .header("accept", "application/json")
}

/// Sends `request` and reads a 2xx answer as `T`; any other status becomes
/// the WIT error the spec's `GeneralError` calls for.
pub fn call<T: DeserializeOwned>(t: &dyn Transport, request: Request<'_>, what: &str) -> Result<T> {
    let response = t.send(authorized(request))?;
    if !response.is_success() {
        return Err(error_from(response, what));
    }
    Ok(response.json()?)
}

/// Like [`call`], for answers whose body the driver does not read.
pub fn call_empty(t: &dyn Transport, request: Request<'_>, what: &str) -> Result<u16> {
    let response = t.send(authorized(request))?;
    if !response.is_success() {
        return Err(error_from(response, what));
    }
    Ok(response.status())
}

/// `GeneralError`: `code` and `message` required, `request_id` optional.
#[derive(Debug, Deserialize)]
struct GeneralError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Maps a non-2xx answer onto the WIT error.
pub fn error_from(response: Response, what: &str) -> Error {
    let status = response.status();
    let retry_after_ms = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let body = response.limit(64 * 1024).bytes().unwrap_or_default();
    let parsed: Option<GeneralError> = serde_json::from_slice(&body).ok();
    let (code, message, request_id) = match parsed {
        Some(g) => (g.code, g.message, g.request_id),
        None => (None, None, None),
    };
    let message = message.unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    let mut text = format!("neon: {what}: {message} (HTTP {status}");
    if let Some(c) = &code
        && !c.is_empty()
    {
        text.push_str(&format!(", code {c}"));
    }
    if let Some(r) = &request_id {
        text.push_str(&format!(", request {r}"));
    }
    text.push(')');
    match status {
        401 => Error::access_denied(format!(
            "{text}; check the API key in the secret {API_KEY_SECRET}"
        )),
        403 => Error::access_denied(text),
        404 => Error::not_found(text),
        409 => Error::conflict(text),
        // `Locked`: the project has operations running; they finish soon.
        423 => Error::unavailable(text, retry_after_ms.or(Some(1000))),
        429 => Error::unavailable(text, retry_after_ms),
        400 | 422 => Error::invalid_input(text),
        500..=599 => Error::unavailable(text, retry_after_ms),
        _ => Error::vendor(code.unwrap_or_else(|| status.to_string()), text),
    }
}

// ---------------------------------------------------------------------------
// Answers (only the fields the driver reads)

/// `ProjectResponse`.
#[derive(Debug, Deserialize)]
pub struct ProjectResponse {
    pub project: Project,
}

/// `Project`.
#[derive(Debug, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub region_id: String,
    pub pg_version: serde_json::Value,
}

/// `BranchesResponse` with `CursorPaginationResponse`.
#[derive(Debug, Deserialize)]
pub struct BranchesResponse {
    pub branches: Vec<NeonBranch>,
    #[serde(default)]
    pub pagination: Option<CursorPagination>,
}

/// `CursorPagination`.
#[derive(Debug, Deserialize)]
pub struct CursorPagination {
    #[serde(default)]
    pub next: Option<String>,
}

/// `BranchResponse`.
#[derive(Debug, Deserialize)]
pub struct BranchResponse {
    pub branch: NeonBranch,
}

/// `Branch`.
#[derive(Debug, Clone, Deserialize)]
pub struct NeonBranch {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Required in the spec; `primary` is its deprecated predecessor.
    #[serde(default)]
    pub default: Option<bool>,
    #[serde(default)]
    pub primary: Option<bool>,
}

impl NeonBranch {
    pub fn is_default(&self) -> bool {
        self.default.or(self.primary).unwrap_or(false)
    }
}

/// `EndpointsResponse`.
#[derive(Debug, Deserialize)]
pub struct EndpointsResponse {
    pub endpoints: Vec<Endpoint>,
}

/// `Endpoint`.
#[derive(Debug, Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

// ---------------------------------------------------------------------------
// Requests

/// `getProject`: `GET /projects/{project_id}`.
pub fn get_project(t: &dyn Transport, c: &Config) -> Result<Project> {
    let r: ProjectResponse = call(t, Request::get(c.project_url("")), "getting the project")?;
    Ok(r.project)
}

/// `listProjectBranches`: `GET /projects/{project_id}/branches`, following
/// `pagination.next` through `cursor`.
pub fn list_branches(t: &dyn Transport, c: &Config) -> Result<Vec<NeonBranch>> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            None => c.project_url("/branches"),
            Some(next) => format!(
                "{}?{}",
                c.project_url("/branches"),
                query_string([("cursor", next.as_str())])
            ),
        };
        let page: BranchesResponse = call(t, Request::get(url), "listing branches")?;
        let empty = page.branches.is_empty();
        all.extend(page.branches);
        match page.pagination.and_then(|p| p.next) {
            Some(next) if !empty && !next.is_empty() && Some(&next) != cursor.as_ref() => {
                cursor = Some(next)
            }
            _ => return Ok(all),
        }
    }
    Ok(all)
}

/// The body of `createProjectBranch` (`BranchCreateRequest`): the branch,
/// and one `read_write` endpoint so it can be connected to.
pub fn create_branch_body(name: &str, parent_id: Option<&str>) -> serde_json::Value {
    let mut branch = serde_json::json!({ "name": name });
    if let Some(p) = parent_id {
        branch["parent_id"] = p.into();
    }
    serde_json::json!({ "branch": branch, "endpoints": [{ "type": "read_write" }] })
}

/// `createProjectBranch`: `POST /projects/{project_id}/branches`.
pub fn create_branch(
    t: &dyn Transport,
    c: &Config,
    name: &str,
    parent_id: Option<&str>,
) -> Result<NeonBranch> {
    let r: BranchResponse = call(
        t,
        Request::post(c.project_url("/branches")).json(&create_branch_body(name, parent_id)),
        &format!("creating branch '{name}'"),
    )?;
    Ok(r.branch)
}

/// `deleteProjectBranch`: `DELETE /projects/{project_id}/branches/{branch_id}`
/// (200, or 204 when it was already gone).
pub fn delete_branch(t: &dyn Transport, c: &Config, id: &str) -> Result<()> {
    let url = c.project_url(&format!("/branches/{}", percent_encode(id, false)));
    call_empty(t, Request::delete(url), &format!("deleting branch {id}")).map(|_| ())
}

/// `listProjectBranchEndpoints`: `GET /projects/{project_id}/branches/{branch_id}/endpoints`.
pub fn list_endpoints(t: &dyn Transport, c: &Config, branch_id: &str) -> Result<Vec<Endpoint>> {
    let url = c.project_url(&format!(
        "/branches/{}/endpoints",
        percent_encode(branch_id, false)
    ));
    let r: EndpointsResponse = call(t, Request::get(url), "listing the branch's endpoints")?;
    Ok(r.endpoints)
}
