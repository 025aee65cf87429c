//! Requests to the Supabase Management API v1 (`supabase-mgmt-openapi.json`,
//! security scheme `bearer`) and what its answers become.
//!
//! Operations used (by `operationId`): `v1-get-project` (health),
//! `v1-run-a-query` (every SQL verb; `read_only: true` for `query`),
//! `v1-list-all-branches`, `v1-create-a-branch`, `v1-delete-a-branch`.
//!
//! Two things the description leaves open, and what the driver does:
//! - **The query answer.** `v1-run-a-query` documents `201` with no body
//!   schema. The API answers, in practice, a JSON array with one object per
//!   row of the last statement; the driver reads that, keeping the columns in
//!   the order the object lists them.
//! - **Error bodies.** The statuses are documented (401, 403, 429, 500
//!   "Failed to run sql query"), their bodies are not; the API answers
//!   `{"message": "..."}`, and database errors carry PostgreSQL's
//!   `ERROR:  <SQLSTATE>: <text>` in it, which the driver maps by SQLSTATE.
//!
//! The token never enters the driver: the `Authorization` header carries a
//! `{{secret:NAME}}` placeholder the host fills in.

use paddock_sdk::http::{HttpError, Request, Response, percent_encode};
use paddock_sdk::{Error, Result, Setting, secrets};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// The secret the seeds name (`SUPABASE_SERVICE_KEY`), the default token.
pub const SERVICE_KEY_SECRET: &str = "SUPABASE_SERVICE_KEY";
/// The secret the Supabase CLI uses for a personal access token.
pub const ACCESS_TOKEN_SECRET: &str = "SUPABASE_ACCESS_TOKEN";
/// The Management API.
pub const DEFAULT_API_URL: &str = "https://api.supabase.com";

/// Sends requests: `wasi:http` in the driver, a scripted fake in unit tests.
pub trait Transport {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError>;
}

/// `wasi:http`, through the host.
pub struct WasiHttp;

impl Transport for WasiHttp {
    fn send(&self, request: Request<'_>) -> Result<Response, HttpError> {
        request.send()
    }
}

/// The resolved settings of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub api_url: String,
    pub project_ref: String,
    /// `SUPABASE_URL`, the project's URL (reported by `health`).
    pub project_url: String,
    /// The secret whose placeholder authorizes requests.
    pub token_secret: String,
}

/// The settings the manifest declares.
pub fn declared() -> Vec<Setting> {
    let setting = |name: &str,
                   description: &str,
                   required,
                   env: Option<&str>,
                   default: Option<&str>,
                   schema: Option<&str>| Setting {
        name: name.into(),
        description: description.into(),
        required,
        env: env.map(Into::into),
        default_value: default.map(Into::into),
        schema: schema.map(Into::into),
    };
    vec![
        setting(
            "url",
            "The project's URL (https://<project-ref>.supabase.co)",
            true,
            Some("SUPABASE_URL"),
            None,
            None,
        ),
        setting(
            "project_ref",
            "The project reference (20 lowercase letters)",
            true,
            Some("SUPABASE_PROJECT_REF"),
            None,
            Some(r#"{"type":"string","pattern":"^[a-z]{20}$"}"#),
        ),
        setting(
            "api_url",
            "Base URL of the Management API; the slot must grant its origin",
            false,
            Some("SUPABASE_API_URL"),
            Some(DEFAULT_API_URL),
            None,
        ),
        setting(
            "token_secret",
            "Which secret authorizes Management API requests: SUPABASE_SERVICE_KEY (the \
             seeds' name) or SUPABASE_ACCESS_TOKEN (the Supabase CLI's name). The Management \
             API takes a personal access token or an OAuth token, not a project's service-role key",
            false,
            None,
            Some(SERVICE_KEY_SECRET),
            Some(r#"{"type":"string","enum":["SUPABASE_SERVICE_KEY","SUPABASE_ACCESS_TOKEN"]}"#),
        ),
    ]
}

impl Config {
    pub fn load() -> Result<Config> {
        Config::from_settings(paddock_sdk::settings::get)
    }

    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let need = |name: &str, env: &str| {
            get(name)
                .ok_or_else(|| Error::invalid_input(format!("setting '{name}' ({env}) is not set")))
        };
        let project_ref = need("project_ref", "SUPABASE_PROJECT_REF")?;
        if !is_project_ref(&project_ref) {
            return Err(Error::invalid_input(format!(
                "project_ref '{project_ref}' is not a Supabase project reference (20 lowercase letters)"
            )));
        }
        let project_url = need("url", "SUPABASE_URL")?;
        let api_url = get("api_url").unwrap_or_else(|| DEFAULT_API_URL.into());
        let api_url = api_url.trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(Error::invalid_input(format!(
                "api_url '{api_url}' must be an http or https URL"
            )));
        }
        let token_secret = get("token_secret").unwrap_or_else(|| SERVICE_KEY_SECRET.into());
        if token_secret != SERVICE_KEY_SECRET && token_secret != ACCESS_TOKEN_SECRET {
            return Err(Error::invalid_input(format!(
                "token_secret '{token_secret}' must be {SERVICE_KEY_SECRET} or {ACCESS_TOKEN_SECRET}"
            )));
        }
        Ok(Config {
            api_url,
            project_ref,
            project_url,
            token_secret,
        })
    }

    /// `{api_url}/v1{rest}`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/v1{rest}", self.api_url)
    }

    /// `{api_url}/v1/projects/{ref}{rest}`.
    pub fn project(&self, rest: &str) -> String {
        self.url(&format!("/projects/{}{rest}", self.project_ref))
    }
}

/// The spec's pattern for a project ref: 20 of `[a-z]`.
pub fn is_project_ref(s: &str) -> bool {
    s.len() == 20 && s.bytes().all(|b| b.is_ascii_lowercase())
}

fn authorized<'a>(c: &Config, request: Request<'a>) -> Request<'a> {
    request
        .header(
            "authorization",
            format!("Bearer {}", secrets::placeholder(&c.token_secret)),
        )
        .header("accept", "application/json")
}

/// Sends `request`; the 2xx response, or the WIT error of any other.
pub fn send(t: &dyn Transport, c: &Config, request: Request<'_>, what: &str) -> Result<Response> {
    let response = t.send(authorized(c, request))?;
    if response.is_success() {
        Ok(response)
    } else {
        Err(error_from(c, response, what))
    }
}

pub fn call<T: DeserializeOwned>(
    t: &dyn Transport,
    c: &Config,
    request: Request<'_>,
    what: &str,
) -> Result<T> {
    Ok(send(t, c, request, what)?.json()?)
}

/// The SQLSTATE in a PostgreSQL error text (`ERROR:  42P01: relation …`).
pub fn sqlstate(message: &str) -> Option<&str> {
    let at = message.find("ERROR:")?;
    let rest = message[at + 6..].trim_start();
    let code = rest.get(..5)?;
    (rest[5..].starts_with(':')
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
    .then_some(code)
}

/// The WIT error of a database error with this SQLSTATE.
pub fn from_sqlstate(code: &str, text: String) -> Error {
    match code {
        // read_only_sql_transaction, insufficient_privilege
        "25006" | "42501" => Error::access_denied(text),
        // undefined_table
        "42P01" => Error::not_found(text),
        // duplicate_table, duplicate_object, duplicate_schema
        "42P07" | "42710" | "42P06" => Error::already_exists(text),
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => Error::conflict(text),
        // query_canceled, cannot_connect_now
        "57014" | "57P03" => Error::unavailable(text, None),
        c if c.starts_with("23") => Error::conflict(text),
        c if c.starts_with("53") || c.starts_with("54") => Error::quota_exceeded(text),
        c if c.starts_with("42") || c.starts_with("22") || c.starts_with("0A") => {
            Error::invalid_input(text)
        }
        c => Error::vendor(c, text),
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// Maps a non-2xx answer onto the WIT error.
pub fn error_from(c: &Config, response: Response, what: &str) -> Error {
    let status = response.status();
    let retry_after_ms = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let body = response.limit(64 * 1024).bytes().unwrap_or_default();
    let message = serde_json::from_slice::<ErrorBody>(&body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    let text = format!("supabase: {what}: {} (HTTP {status})", message.trim_end());
    if let Some(code) = sqlstate(&message) {
        return from_sqlstate(code, text);
    }
    match status {
        401 => Error::access_denied(format!(
            "{text}; check the token in the secret {} (the Management API takes a personal \
             access token or an OAuth token)",
            c.token_secret
        )),
        403 => Error::access_denied(text),
        404 => Error::not_found(text),
        409 => Error::conflict(text),
        429 => Error::unavailable(text, retry_after_ms),
        400 | 422 => Error::invalid_input(text),
        500..=599 => Error::unavailable(text, retry_after_ms),
        _ => Error::vendor(status.to_string(), text),
    }
}

// ---------------------------------------------------------------------------
// SQL

/// One row of a query answer: its columns in the order the object lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Row, A::Error> {
                let mut cells = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    cells.push((k, v));
                }
                Ok(Row(cells))
            }
        }
        d.deserialize_map(V)
    }
}

/// The body of `v1-run-a-query` (`V1RunQueryBody`).
pub fn query_body(sql: &str, parameters: &[Json], read_only: bool) -> Json {
    let mut body = serde_json::json!({ "query": sql });
    if !parameters.is_empty() {
        body["parameters"] = Json::Array(parameters.to_vec());
    }
    if read_only {
        body["read_only"] = Json::Bool(true);
    }
    body
}

/// `v1-run-a-query`: `POST /v1/projects/{ref}/database/query`; the rows of
/// the last statement.
pub fn run_query(
    t: &dyn Transport,
    c: &Config,
    sql: &str,
    parameters: &[Json],
    read_only: bool,
) -> Result<Vec<Row>> {
    if sql.trim().is_empty() {
        return Err(Error::invalid_input("the SQL is empty"));
    }
    let request =
        Request::post(c.project("/database/query")).json(&query_body(sql, parameters, read_only));
    let response = send(t, c, request, "running SQL")?;
    let bytes = response.bytes()?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    serde_json::from_slice::<Vec<Row>>(&bytes).map_err(|e| {
        Error::vendor(
            "unexpected-answer",
            format!("supabase: the query answer is not a JSON array of row objects: {e}"),
        )
    })
}

// ---------------------------------------------------------------------------
// Project and branches

/// `V1ProjectWithDatabaseResponse` (the fields read).
#[derive(Debug, Deserialize)]
pub struct Project {
    #[serde(rename = "ref")]
    pub project_ref: String,
    pub name: String,
    pub region: String,
    pub status: String,
    #[serde(default)]
    pub database: Option<ProjectDatabase>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectDatabase {
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// `v1-get-project`: `GET /v1/projects/{ref}`.
pub fn get_project(t: &dyn Transport, c: &Config) -> Result<Project> {
    call(t, c, Request::get(c.project("")), "getting the project")
}

/// `BranchResponse` (the fields read).
#[derive(Debug, Clone, Deserialize)]
pub struct SupabaseBranch {
    pub id: String,
    pub name: String,
    pub project_ref: String,
    pub parent_project_ref: String,
    pub is_default: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `v1-list-all-branches`: `GET /v1/projects/{ref}/branches`.
pub fn list_branches(t: &dyn Transport, c: &Config) -> Result<Vec<SupabaseBranch>> {
    call(
        t,
        c,
        Request::get(c.project("/branches")),
        "listing branches",
    )
}

/// `v1-create-a-branch`: `POST /v1/projects/{ref}/branches` with
/// `CreateBranchBody` `{"branch_name"}`.
pub fn create_branch(t: &dyn Transport, c: &Config, name: &str) -> Result<SupabaseBranch> {
    call(
        t,
        c,
        Request::post(c.project("/branches")).json(&serde_json::json!({ "branch_name": name })),
        &format!("creating branch '{name}'"),
    )
}

/// `v1-delete-a-branch`: `DELETE /v1/branches/{branch_id_or_ref}`, with the
/// branch's own project ref (the UUID form is deprecated).
pub fn delete_branch(t: &dyn Transport, c: &Config, branch_ref: &str) -> Result<()> {
    let url = c.url(&format!("/branches/{}", percent_encode(branch_ref, false)));
    send(
        t,
        c,
        Request::delete(url),
        &format!("deleting branch {branch_ref}"),
    )
    .map(|_| ())
}
