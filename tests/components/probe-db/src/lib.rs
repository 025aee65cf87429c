//! A hostile test driver: its `query` runs one probe command and reports what
//! the sandbox let it do. Asks for a read-write folder and any TCP endpoint,
//! so the slot's grants decide.
//!
//! Commands: `read PATH`, `write PATH TEXT`, `connect HOST:PORT`, `env`,
//! `http URL [AUTHORIZATION]` (standard `wasi:http`, following up to 3 redirects itself, as
//! guest HTTP clients do), `sign URL KEY_ID_SECRET SECRET_KEY_SECRET` (a GET
//! the host signs with AWS SigV4), `reveal NAME`.

use paddock_sdk::db::*;
use std::io::{Read, Write};

struct Probe;

fn text_row(text: String) -> RowSet {
    RowSet {
        columns: vec![Column {
            name: "result".into(),
            type_name: "TEXT".into(),
            value_type: ValueType::Text,
        }],
        rows: vec![vec![Value::Text(text)]],
        rows_read: 1,
    }
}

fn denied(what: &str, e: impl std::fmt::Display) -> Error {
    Error::access_denied(format!("{what}: {e}"))
}

fn probe(command: &str) -> Result<String> {
    let mut words = command.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some("read"), Some(path), None) => {
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|e| denied(&format!("read {path}"), e))?;
            Ok(text)
        }
        (Some("write"), Some(path), Some(text)) => {
            std::fs::File::create(path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| denied(&format!("write {path}"), e))?;
            Ok("written".into())
        }
        (Some("connect"), Some(addr), None) => {
            let mut stream = std::net::TcpStream::connect(addr)
                .map_err(|e| denied(&format!("connect {addr}"), e))?;
            let mut greeting = String::new();
            stream
                .read_to_string(&mut greeting)
                .map_err(|e| denied(&format!("read from {addr}"), e))?;
            Ok(greeting)
        }
        (Some("http"), Some(url), auth) => {
            let headers: Vec<(&str, String)> = auth
                .map(|a| ("authorization", a.to_string()))
                .into_iter()
                .collect();
            http_get(url, &headers, 3)
        }
        (Some("sign"), Some(url), Some(names)) => {
            let (id, key) = names
                .split_once(' ')
                .ok_or_else(|| Error::invalid_input("sign URL KEY_ID_SECRET SECRET_KEY_SECRET"))?;
            let sign = paddock_sdk::secrets::aws_sigv4_header(id, key, "us-east-1", "s3");
            let headers = [
                (paddock_sdk::secrets::SIGN_HEADER, sign),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_string()),
            ];
            http_get(url, &headers, 0)
        }
        (Some("reveal"), Some(name), None) => paddock_sdk::secrets::reveal(name),
        (Some("env"), None, None) => Ok(format!("{} variables", std::env::vars().count())),
        _ => Err(Error::invalid_input(format!("unknown probe '{command}'"))),
    }
}

/// GET `url` with `wasi:http`, with the `extra` headers;
/// answers `STATUS BODY`.
fn http_get(url: &str, extra: &[(&str, String)], redirects_left: u32) -> Result<String> {
    use wasi::http::types::{Fields, Method, OutgoingRequest, Scheme};
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::invalid_input("url"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let headers = Fields::new();
    for (name, value) in extra {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| Error::invalid_input(format!("header: {e:?}")))?;
    }
    let request = OutgoingRequest::new(headers);
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(&if scheme == "https" {
        Scheme::Https
    } else {
        Scheme::Http
    }));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(path));
    let pending = wasi::http::outgoing_handler::handle(request, None)
        .map_err(|e| denied(&format!("http {url}"), format!("{e:?}")))?;
    pending.subscribe().block();
    let response = pending
        .get()
        .ok_or_else(|| Error::unavailable("no response", None))?
        .map_err(|_| Error::unavailable("response taken twice", None))?
        .map_err(|e| denied(&format!("http {url}"), format!("{e:?}")))?;
    let status = response.status();
    if (300..400).contains(&status) && redirects_left > 0 {
        let location = response
            .headers()
            .get("location")
            .into_iter()
            .next()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .ok_or_else(|| Error::vendor(status.to_string(), "redirect without a location"))?;
        drop(response);
        return http_get(&location, extra, redirects_left - 1);
    }
    let body = response
        .consume()
        .map_err(|_| Error::unavailable("no body", None))?;
    let stream = body
        .stream()
        .map_err(|_| Error::unavailable("no body stream", None))?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend(chunk),
            Err(wasi::io::streams::StreamError::Closed) => break,
            Err(e) => return Err(Error::unavailable(format!("body: {e:?}"), None)),
        }
    }
    Ok(format!("{status} {}", String::from_utf8_lossy(&bytes)))
}

impl Driver for Probe {
    fn describe() -> Manifest {
        Manifest {
            name: "probe_db".into(),
            aliases: vec![],
            version: "0.1.0".into(),
            domain: Domain::Db,
            description: "Test driver that probes the sandbox".into(),
            settings: vec![],
            capabilities: Capabilities::none()
                .with_http(["http://*:*"])
                .with_secrets(["PROBE_TOKEN", "OTHER_TOKEN"])
                .with_tcp(["*:*"])
                .with_folder(FolderAccess::ReadWrite),
            concurrency: Concurrency::Parallel,
        }
    }
    fn health() -> Result<HealthReport> {
        Ok(HealthReport {
            healthy: true,
            message: None,
            details: vec![],
        })
    }
    fn query(sql: String, _params: Vec<Value>) -> Result<RowSet> {
        probe(&sql).map(text_row)
    }
    fn execute(_sql: String, _params: Vec<Value>) -> Result<ExecuteResult> {
        Err(Error::unsupported("execute"))
    }
    fn migrate(_m: Vec<Migration>, _o: MigrateOptions) -> Result<MigrateReport> {
        Err(Error::unsupported("migrate"))
    }
    fn list_branches() -> Result<Vec<Branch>> {
        Err(Error::unsupported("list-branches"))
    }
    fn create_branch(_n: String, _p: Option<String>) -> Result<Branch> {
        Err(Error::unsupported("create-branch"))
    }
    fn delete_branch(_n: String) -> Result<()> {
        Err(Error::unsupported("delete-branch"))
    }
    fn list_tables() -> Result<Vec<TableInfo>> {
        Ok(vec![])
    }
    fn create_table(_t: TableInfo) -> Result<()> {
        Err(Error::unsupported("create-table"))
    }
    fn read_rows(
        _t: String,
        _c: Option<Vec<String>>,
        _cu: Option<String>,
        _l: Option<u32>,
    ) -> Result<RowBatch> {
        Err(Error::unsupported("read-rows"))
    }
    fn write_rows(
        _t: String,
        _c: Vec<String>,
        _r: Vec<Vec<Value>>,
        _m: WriteMode,
        _k: Vec<String>,
    ) -> Result<WriteResult> {
        Err(Error::unsupported("write-rows"))
    }
}

export_db_driver!(Probe);
