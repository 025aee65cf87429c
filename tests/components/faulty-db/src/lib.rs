//! `faulty_db`: a db driver that misbehaves on purpose, for the daemon's
//! fault-isolation tests. `health` answers, `list_tables` answers an empty
//! list, `query` panics (a trap in the guest), `execute` never returns (the
//! per-call deadline must stop it); every other verb is `unsupported`.

use paddock_sdk::db::*;

struct FaultyDb;

fn unsupported<T>(verb: &str) -> Result<T> {
    Err(Error::unsupported(format!(
        "faulty_db does not implement {verb}"
    )))
}

impl Driver for FaultyDb {
    fn describe() -> Manifest {
        Manifest {
            name: "faulty_db".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Db,
            description: "Test driver: query panics, execute loops forever.".into(),
            settings: vec![],
            capabilities: Capabilities::none(),
            concurrency: Concurrency::Parallel,
        }
    }

    fn health() -> Result<HealthReport> {
        Ok(HealthReport {
            healthy: true,
            message: Some("faulty_db is up (until you call it)".into()),
            details: vec![],
        })
    }

    fn query(sql: String, _params: Vec<Value>) -> Result<RowSet> {
        panic!("faulty_db panics on every query (this one was {sql:?})");
    }

    fn execute(_sql: String, _params: Vec<Value>) -> Result<ExecuteResult> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    fn migrate(_migrations: Vec<Migration>, _options: MigrateOptions) -> Result<MigrateReport> {
        unsupported("migrate")
    }

    fn list_branches() -> Result<Vec<Branch>> {
        unsupported("list-branches")
    }

    fn create_branch(_name: String, _parent: Option<String>) -> Result<Branch> {
        unsupported("create-branch")
    }

    fn delete_branch(_name: String) -> Result<()> {
        unsupported("delete-branch")
    }

    fn list_tables() -> Result<Vec<TableInfo>> {
        Ok(vec![])
    }

    fn create_table(_table: TableInfo) -> Result<()> {
        unsupported("create-table")
    }

    fn read_rows(
        _table: String,
        _columns: Option<Vec<String>>,
        _cursor: Option<String>,
        _limit: Option<u32>,
    ) -> Result<RowBatch> {
        unsupported("read-rows")
    }

    fn write_rows(
        _table: String,
        _columns: Vec<String>,
        _rows: Vec<Vec<Value>>,
        _mode: WriteMode,
        _key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        unsupported("write-rows")
    }
}

export_db_driver!(FaultyDb);
