// The body of the `echo-v1` test component, shared by `echo-v2`: a db driver
// named `echo` whose `query` answers its own version, so a test can see
// which build served each call while the file is swapped under load. The
// including crate defines `const VERSION: &str`.

use paddock_sdk::db::*;

struct Echo;

fn unsupported<T>(verb: &str) -> Result<T> {
    Err(Error::unsupported(format!("echo does not implement {verb}")))
}

impl Driver for Echo {
    fn describe() -> Manifest {
        Manifest {
            name: "echo".into(),
            aliases: vec![],
            version: VERSION.into(),
            domain: Domain::Db,
            description: "Test driver: query answers the driver's version.".into(),
            settings: vec![],
            capabilities: Capabilities::none(),
            concurrency: Concurrency::Parallel,
        }
    }

    fn health() -> Result<HealthReport> {
        Ok(HealthReport {
            healthy: true,
            message: Some(format!("echo {VERSION}")),
            details: vec![],
        })
    }

    fn query(_sql: String, _params: Vec<Value>) -> Result<RowSet> {
        Ok(RowSet {
            columns: vec![Column {
                name: "version".into(),
                type_name: "TEXT".into(),
                value_type: ValueType::Text,
            }],
            rows: vec![vec![Value::Text(VERSION.into())]],
            rows_read: 1,
        })
    }

    fn execute(_sql: String, _params: Vec<Value>) -> Result<ExecuteResult> {
        unsupported("execute")
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

export_db_driver!(Echo);
