//! A hostile test driver: its `query` runs one probe command and reports what
//! the sandbox let it do. Asks for a read-write folder and any TCP endpoint,
//! so the slot's grants decide.
//!
//! Commands: `read PATH`, `write PATH TEXT`, `connect HOST:PORT`, `env`.

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
        (Some("env"), None, None) => Ok(format!("{} variables", std::env::vars().count())),
        _ => Err(Error::invalid_input(format!("unknown probe '{command}'"))),
    }
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
