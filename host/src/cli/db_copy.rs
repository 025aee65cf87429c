//! `paddock db copy --from SLOT --to SLOT [--tables a,b]`: copies tables
//! between two db slots, whatever their drivers, through the verbs every db
//! driver has: `list-tables`, `create-table`, `read-rows`, `write-rows`.
//!
//! - Tables missing on the target are created from the source's
//!   `table-info`: columns keep their WIT value type (integer, float, text,
//!   boolean, bytes, json, timestamp), nullability and primary key, and each
//!   driver maps those types onto its engine (e.g. sqlite INTEGER/REAL/TEXT/
//!   BLOB, postgres bigint/double precision/text/boolean/bytea/jsonb/
//!   timestamptz).
//! - Rows go in batches; a table with a primary key is written with
//!   `upsert`, so running the copy again converges instead of duplicating
//!   (an interrupted copy is finished by running it again). A table without
//!   one is appended to, and only when the target table is empty.
//! - At the end the rows of each table are counted on both sides.

use super::{ConfigArgs, config_failed, exit, start_service};
use crate::service::Service;
use serde_json::{Value, json};
use std::io::Write;
use std::time::Instant;

/// Arguments of `paddock db copy`.
#[derive(clap::Args)]
pub struct CopyArgs {
    /// The slot to read from.
    #[arg(long)]
    from: String,
    /// The slot to write to.
    #[arg(long)]
    to: String,
    /// Only these tables (comma-separated) [default: every table].
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Rows per batch.
    #[arg(long, default_value_t = 1000)]
    batch: u32,
    #[command(flatten)]
    config: ConfigArgs,
}

/// The `db` subcommands.
#[derive(clap::Subcommand)]
pub enum DbCommand {
    /// Copy tables from one db slot to another (e.g. sqlite to postgres).
    Copy(CopyArgs),
}

/// Runs a `db` subcommand.
pub async fn run(command: DbCommand) -> u8 {
    let DbCommand::Copy(args) = command;
    let config = match args.config.load() {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    let service = match start_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::INTERNAL;
        }
    };
    match copy(&service, &args).await {
        Ok(true) => exit::OK,
        Ok(false) => exit::CALL_FAILED,
        Err(e) => {
            eprintln!("error: {e}");
            exit::CALL_FAILED
        }
    }
}

async fn call(service: &Service, slot: &str, verb: &str, args: Value) -> Result<Value, String> {
    service
        .call(slot, verb, args)
        .await
        .map_err(|e| format!("{slot}.{verb}: {}: {}", e.kind, e.message))
}

/// Copies every selected table; whether every count matched.
async fn copy(service: &Service, args: &CopyArgs) -> Result<bool, String> {
    for slot in [&args.from, &args.to] {
        service.binding(slot).map_err(|e| e.message)?;
    }
    let source_tables = call(service, &args.from, "list_tables", json!({})).await?;
    let source_tables = source_tables.as_array().cloned().unwrap_or_default();
    for wanted in &args.tables {
        if !source_tables.iter().any(|t| t["name"] == wanted.as_str()) {
            return Err(format!("slot '{}' has no table '{wanted}'", args.from));
        }
    }
    let selected: Vec<&Value> = source_tables
        .iter()
        .filter(|t| args.tables.is_empty() || args.tables.iter().any(|w| t["name"] == w.as_str()))
        .collect();
    let target_tables = call(service, &args.to, "list_tables", json!({})).await?;
    let mut all_match = true;
    let started = Instant::now();
    for table in selected {
        let name = table["name"].as_str().unwrap_or_default().to_string();
        let exists = target_tables
            .as_array()
            .is_some_and(|l| l.iter().any(|t| t["name"] == name.as_str()));
        if !exists {
            call(service, &args.to, "create_table", json!({"table": table})).await?;
        }
        let columns: Vec<String> = table["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|col| col["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let keys: Vec<String> = table["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|col| col["primary_key"] == true)
                    .filter_map(|col| col["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let target_before = count(service, &args.to, &name).await?;
        if keys.is_empty() && target_before > 0 {
            eprintln!(
                "{name}: skipped: it has no primary key and the target table already holds {target_before} rows (copying again would duplicate them)"
            );
            all_match = false;
            continue;
        }
        let mode = if keys.is_empty() { "append" } else { "upsert" };
        let mut cursor = Value::Null;
        let mut copied: u64 = 0;
        loop {
            let batch = call(
                service,
                &args.from,
                "read_rows",
                json!({"table": name, "columns": columns, "cursor": cursor, "limit": args.batch}),
            )
            .await?;
            let rows = batch["rows"].as_array().cloned().unwrap_or_default();
            if !rows.is_empty() {
                call(
                    service,
                    &args.to,
                    "write_rows",
                    json!({"table": name, "columns": columns, "rows": rows, "mode": mode, "key_columns": keys}),
                )
                .await?;
                copied += rows.len() as u64;
                eprint!("\r{name}: {copied} rows");
                let _ = std::io::stderr().flush();
            }
            cursor = batch["next_cursor"].clone();
            if cursor.is_null() {
                break;
            }
        }
        let (source, target) = (
            count(service, &args.from, &name).await?,
            count(service, &args.to, &name).await?,
        );
        let ok = source == target;
        all_match &= ok;
        eprintln!(
            "\r{} {name}: {copied} rows copied ({mode}); {source} in {}, {target} in {}",
            if ok { "✓" } else { "✗" },
            args.from,
            args.to
        );
    }
    eprintln!(
        "{} in {:.1} s",
        if all_match {
            "every count matches"
        } else {
            "counts differ: see ✗ above"
        },
        started.elapsed().as_secs_f64()
    );
    Ok(all_match)
}

/// The rows of `table`, counted by the database.
async fn count(service: &Service, slot: &str, table: &str) -> Result<u64, String> {
    let rs = call(
        service,
        slot,
        "query",
        json!({"sql": format!("SELECT COUNT(*) FROM {table}")}),
    )
    .await?;
    rs["rows"][0][0]["integer"]
        .as_u64()
        .ok_or_else(|| format!("{slot}: counting {table} answered {}", rs["rows"]))
}
