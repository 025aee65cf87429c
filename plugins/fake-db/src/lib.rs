//! `fake_db`: an in-memory table store for tests and CI, with a small SQL
//! subset ([`sql::SUBSET`]), real migration bookkeeping and Neon-like
//! branches. Everything lives in the slot's `state` store (the daemon's
//! memory), because the host makes a fresh instance for every call. The
//! verbs are plain modules over [`Store`], unit-tested natively; this file
//! only adapts them to the WIT.

mod branches;
mod layout;
mod migrate;
mod rows;
mod sql;
mod table;
mod tx;
mod value;

use paddock_sdk::db::*;
use paddock_sdk::state::HostStore;
use paddock_sdk::time::now_ms;

use table::TableDef;

struct FakeDb;

impl Driver for FakeDb {
    fn describe() -> Manifest {
        Manifest {
            name: "fake_db".into(),
            aliases: vec![],
            version: "0.1.0".into(),
            domain: Domain::Db,
            description:
                "In-memory fake database for tests and CI; tables live in the daemon's memory \
                and are lost when it stops. query/execute run a small SQL subset (SELECT with \
                WHERE col = v [AND ...] and LIMIT, COUNT(*), INSERT, UPDATE, DELETE, CREATE TABLE, \
                DROP TABLE, ALTER TABLE ADD COLUMN; ? and $n parameters); anything else is \
                'unsupported'. UNIQUE, CHECK and REFERENCES are accepted but not enforced. \
                migrate records versions and checksums and runs the subset's statements; other \
                statements (CREATE INDEX, PRAGMA...) are recorded but not executed. Branches are \
                bookkeeping only: they share one set of tables."
                    .into(),
            settings: vec![],
            capabilities: Capabilities::none().with_state(),
            concurrency: Concurrency::Serialized,
        }
    }

    fn health() -> Result<HealthReport> {
        let store = HostStore;
        let version = migrate::applied(&store)?
            .keys()
            .last()
            .map_or("none".to_owned(), u64::to_string);
        Ok(HealthReport {
            healthy: true,
            message: Some("in-memory fake database".into()),
            details: vec![
                ("tables".into(), table::list(&store)?.len().to_string()),
                ("migration_version".into(), version),
                ("branches".into(), branches::list(&store)?.len().to_string()),
            ],
        })
    }

    fn query(sql: String, params: Vec<Value>) -> Result<RowSet> {
        sql::query(&mut HostStore, &sql, params, now_ms())
    }

    fn execute(sql: String, params: Vec<Value>) -> Result<ExecuteResult> {
        let rows_affected = sql::execute(&mut HostStore, &sql, params, now_ms())?;
        Ok(ExecuteResult { rows_affected })
    }

    fn migrate(migrations: Vec<Migration>, options: MigrateOptions) -> Result<MigrateReport> {
        migrate::migrate(&mut HostStore, migrations, options, now_ms())
    }

    fn list_branches() -> Result<Vec<Branch>> {
        branches::list(&HostStore)
    }

    fn create_branch(name: String, parent: Option<String>) -> Result<Branch> {
        branches::create(&mut HostStore, &name, parent, now_ms())
    }

    fn delete_branch(name: String) -> Result<()> {
        branches::delete(&mut HostStore, &name)
    }

    fn list_tables() -> Result<Vec<TableInfo>> {
        Ok(table::list(&HostStore)?
            .iter()
            .map(TableDef::info)
            .collect())
    }

    fn create_table(info: TableInfo) -> Result<()> {
        table::create(&mut HostStore, &TableDef::from_portable(info)?)
    }

    fn read_rows(
        table: String,
        columns: Option<Vec<String>>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<RowBatch> {
        rows::read(&HostStore, &table, columns, cursor, limit)
    }

    fn write_rows(
        table: String,
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
        mode: WriteMode,
        key_columns: Vec<String>,
    ) -> Result<WriteResult> {
        let rows_written = rows::write(
            &mut HostStore,
            &table,
            columns,
            rows,
            mode,
            key_columns,
            now_ms(),
        )?;
        Ok(WriteResult { rows_written })
    }
}

export_db_driver!(FakeDb);
