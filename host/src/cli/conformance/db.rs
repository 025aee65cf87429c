//! The db suite: what every database driver must do, per the doc comments
//! of `wit/driver/0.1.0/db.wit`. SQL uses `$1`-style parameters and the
//! common subset every engine understands; tables are named
//! `paddock_kit_<random>_…` and dropped at the end where the driver can.

use super::{Check, Failure, Harness, Outcome, expect, run_checks};
use serde_json::{Value, json};

/// Runs the suite.
pub(super) async fn run(h: &Harness) -> Vec<Outcome> {
    let t = format!("paddock_kit_{:08x}", super::rand_suffix());
    let t = t.as_str();
    let migrations = match tempfile::Builder::new()
        .prefix("paddock-kit-migrations-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            return vec![Outcome::failed(
                "migrations folder",
                Failure::new(format!("cannot make a temp folder: {e}"), "check /tmp"),
            )];
        }
    };
    let m = migrations.path();
    let checks: Vec<(&'static str, Check<'_>)> = vec![
        ("health reports healthy", Box::pin(health(h))),
        (
            "create-table, then again: already-exists",
            Box::pin(create(h, t)),
        ),
        ("list-tables shows its columns", Box::pin(listed(h, t))),
        ("write-rows append", Box::pin(append(h, t))),
        (
            "read-rows pages with a cursor, each row once",
            Box::pin(pages(h, t)),
        ),
        (
            "write-rows append of a taken key: conflict",
            Box::pin(append_conflict(h, t)),
        ),
        (
            "write-rows upsert updates and inserts",
            Box::pin(upsert(h, t)),
        ),
        ("execute with typed $n parameters", Box::pin(execute(h, t))),
        ("query returns typed values", Box::pin(query(h, t))),
        (
            "query is read-only: writes are access-denied",
            Box::pin(read_only(h, t)),
        ),
        ("bad SQL: invalid-input", Box::pin(bad_sql(h))),
        (
            "write-rows overwrite replaces every row",
            Box::pin(overwrite(h, t)),
        ),
        (
            "migrate: dry run, apply, re-run, target",
            Box::pin(migrate(h, t, m)),
        ),
        (
            "migrate: a failing migration rolls back",
            Box::pin(migrate_failure(h, t, m)),
        ),
        (
            "migrate: an edited applied migration is refused",
            Box::pin(migrate_edited(h, t, m)),
        ),
        ("branches: listed, or unsupported", Box::pin(branches(h))),
        ("clean up", Box::pin(cleanup(h, t))),
    ];
    run_checks(checks).await
}

fn columns() -> Value {
    json!([
        {"name": "id", "value_type": "integer", "nullable": false, "primary_key": true},
        {"name": "name", "value_type": "text", "nullable": false, "primary_key": false},
        {"name": "score", "value_type": "float", "nullable": true, "primary_key": false},
        {"name": "active", "value_type": "boolean", "nullable": true, "primary_key": false},
    ])
}

fn row(id: i64) -> Value {
    json!([{"integer": id}, {"text": format!("row {id}")}, {"float": id as f64 / 4.0}, {"boolean": id % 2 == 0}])
}

async fn health(h: &Harness) -> Result<(), Failure> {
    let report = h.ok("health", json!({})).await?;
    expect(
        report["healthy"] == true,
        || format!("health answered {report}"),
        "health must report healthy when the database is reachable",
    )
}

async fn create(h: &Harness, t: &str) -> Result<(), Failure> {
    let table = json!({"table": {"name": t, "columns": columns()}});
    h.ok("create_table", table.clone()).await?;
    h.fails(
        "create_table",
        table,
        "already-exists",
        "create-table of an existing table is already-exists",
    )
    .await
    .map(drop)
}

async fn listed(h: &Harness, t: &str) -> Result<(), Failure> {
    let tables = h.ok("list_tables", json!({})).await?;
    let Some(table) = tables
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == t))
    else {
        return Err(Failure::new(
            format!("{t} is not in {tables}"),
            "list-tables lists every table with its columns",
        ));
    };
    let names: Vec<&str> = table["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    expect(
        names == ["id", "name", "score", "active"],
        || format!("columns {names:?}"),
        "columns come back in table order, with the names create-table gave",
    )?;
    expect(
        table["columns"][0]["primary_key"] == true
            && table["columns"][0]["value_type"] == "integer",
        || format!("id column {}", table["columns"][0]),
        "column types and the primary key round-trip through create-table",
    )
}

fn write(t: &str, ids: impl Iterator<Item = i64>, mode: &str) -> Value {
    let rows: Vec<Value> = ids.map(row).collect();
    json!({"table": t, "columns": ["id", "name", "score", "active"], "rows": rows,
           "mode": mode, "key_columns": ["id"]})
}

async fn append(h: &Harness, t: &str) -> Result<(), Failure> {
    let w = h.ok("write_rows", write(t, 1..=25, "append")).await?;
    expect(
        w["rows_written"] == 25,
        || format!("write-rows answered {w}"),
        "rows-written counts the rows written",
    )
}

async fn all_ids(h: &Harness, t: &str, limit: u32) -> Result<Vec<i64>, Failure> {
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..1000 {
        let batch = h
            .ok(
                "read_rows",
                json!({"table": t, "cursor": cursor, "limit": limit}),
            )
            .await?;
        let rows = batch["rows"].as_array().cloned().unwrap_or_default();
        expect(
            rows.len() <= limit as usize,
            || format!("a batch of limit {limit} held {}", rows.len()),
            "read-rows returns at most `limit` rows",
        )?;
        ids.extend(rows.iter().filter_map(|r| r[0]["integer"].as_i64()));
        cursor = batch["next_cursor"].clone();
        if cursor.is_null() {
            return Ok(ids);
        }
    }
    Err(Failure::new(
        "read-rows never ended",
        "next-cursor is none after the last batch",
    ))
}

async fn pages(h: &Harness, t: &str) -> Result<(), Failure> {
    let mut ids = all_ids(h, t, 10).await?;
    ids.sort();
    expect(
        ids == (1..=25).collect::<Vec<_>>(),
        || format!("read ids {ids:?}"),
        "following next-cursor reads every row exactly once",
    )
}

async fn append_conflict(h: &Harness, t: &str) -> Result<(), Failure> {
    h.fails(
        "write_rows",
        write(t, [3].into_iter(), "append"),
        "conflict",
        "append of a row whose key is taken is conflict",
    )
    .await
    .map(drop)
}

async fn upsert(h: &Harness, t: &str) -> Result<(), Failure> {
    let mut args = write(t, [5, 26].into_iter(), "upsert");
    args["rows"][0][1] = json!({"text": "changed"});
    h.ok("write_rows", args).await?;
    let rs = h
        .ok(
            "query",
            json!({"sql": format!("SELECT name FROM {t} WHERE id = $1"), "params": [{"integer": 5}]}),
        )
        .await?;
    expect(
        rs["rows"][0][0]["text"] == "changed",
        || format!("row 5 reads {}", rs["rows"]),
        "upsert updates the row with the same key columns",
    )?;
    let ids = all_ids(h, t, 100).await?;
    expect(
        ids.len() == 26,
        || format!("{} rows after upsert", ids.len()),
        "upsert inserts rows whose key is new",
    )
}

async fn execute(h: &Harness, t: &str) -> Result<(), Failure> {
    let r = h
        .ok(
            "execute",
            json!({"sql": format!("INSERT INTO {t} (id, name, score, active) VALUES ($1, $2, $3, $4)"),
                   "params": [{"integer": 100}, {"text": "typed"}, {"float": 2.5}, {"boolean": true}]}),
        )
        .await?;
    expect(
        r["rows_affected"] == 1,
        || format!("execute answered {r}"),
        "rows-affected counts the rows the statement changed",
    )
}

async fn query(h: &Harness, t: &str) -> Result<(), Failure> {
    let rs = h
        .ok(
            "query",
            json!({"sql": format!("SELECT id, name, score, active FROM {t} WHERE id = $1"),
                   "params": [{"integer": 100}]}),
        )
        .await?;
    expect(
        rs["rows"]
            == json!([[{"integer": 100}, {"text": "typed"}, {"float": 2.5}, {"boolean": true}]]),
        || format!("query answered rows {}", rs["rows"]),
        "values come back with their types: integer, text, float, boolean",
    )?;
    let names: Vec<&str> = rs["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    expect(
        names == ["id", "name", "score", "active"],
        || format!("columns {names:?}"),
        "the row-set names its columns in select order",
    )
}

async fn read_only(h: &Harness, t: &str) -> Result<(), Failure> {
    h.fails(
        "query",
        json!({"sql": format!("INSERT INTO {t} (id, name) VALUES (999, 'sneaky')")}),
        "access-denied",
        "query must be read-only, enforced by the database (read-only transaction, PRAGMA query_only)",
    )
    .await?;
    let rs = h
        .ok(
            "query",
            json!({"sql": format!("SELECT COUNT(*) FROM {t} WHERE id = 999")}),
        )
        .await?;
    expect(
        rs["rows"][0][0]["integer"] == 0,
        || format!("the refused insert left {}", rs["rows"]),
        "a refused write leaves nothing behind",
    )
}

async fn bad_sql(h: &Harness) -> Result<(), Failure> {
    h.fails(
        "execute",
        json!({"sql": "THIS IS NOT SQL"}),
        "invalid-input",
        "a statement the database cannot parse is invalid-input, with its message",
    )
    .await
    .map(drop)
}

async fn overwrite(h: &Harness, t: &str) -> Result<(), Failure> {
    h.ok("write_rows", write(t, 1..=3, "overwrite")).await?;
    let mut ids = all_ids(h, t, 100).await?;
    ids.sort();
    expect(
        ids == [1, 2, 3],
        || format!("ids after overwrite {ids:?}"),
        "overwrite empties the table first",
    )
}

/// The rows of `table`, counted by the database.
async fn count(h: &Harness, table: &str) -> Result<i64, Failure> {
    let rs = h
        .ok(
            "query",
            json!({"sql": format!("SELECT COUNT(*) FROM {table}")}),
        )
        .await?;
    rs["rows"][0][0]["integer"].as_i64().ok_or_else(|| {
        Failure::new(
            format!("COUNT(*) of {table} answered {}", rs["rows"]),
            "COUNT(*) comes back as one integer",
        )
    })
}

fn write_migration(dir: &std::path::Path, file: &str, sql: &str) -> Result<(), Failure> {
    std::fs::write(dir.join(file), sql)
        .map_err(|e| Failure::new(format!("writing {file}: {e}"), "check the temp folder"))
}

fn states(report: &Value) -> Vec<(u64, String)> {
    report["migrations"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| Some((m["version"].as_u64()?, m["state"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

async fn migrate(h: &Harness, t: &str, m: &std::path::Path) -> Result<(), Failure> {
    write_migration(
        m,
        "0001_first.sql",
        &format!("CREATE TABLE {t}_m (id INTEGER PRIMARY KEY, label TEXT);\n"),
    )?;
    write_migration(
        m,
        "0002_second.sql",
        &format!("INSERT INTO {t}_m (id, label) VALUES (1, 'one');\n"),
    )?;
    write_migration(
        m,
        "0003_third.sql",
        &format!("INSERT INTO {t}_m (id, label) VALUES (2, 'two');\n"),
    )?;
    let dir = m.display().to_string();
    let dry = h
        .ok("migrate", json!({"dir": dir, "dry_run": true}))
        .await?;
    let pending = |n: u64| (n, "pending".to_string());
    expect(
        states(&dry) == [pending(1), pending(2), pending(3)],
        || format!("dry run answered {dry}"),
        "a dry run reports every migration to apply as pending and applies nothing",
    )?;
    let r = h.ok("migrate", json!({"dir": dir, "target": 2})).await?;
    expect(
        states(&r)
            == [
                (1, "applied-now".into()),
                (2, "applied-now".into()),
                (3, "skipped".into()),
            ]
            && r["current_version"] == 2,
        || format!("migrate to 2 answered {r}"),
        "migrate applies up to the target; later ones are skipped",
    )?;
    let r = h.ok("migrate", json!({"dir": dir})).await?;
    expect(
        states(&r)
            == [
                (1, "applied".into()),
                (2, "applied".into()),
                (3, "applied-now".into()),
            ]
            && r["current_version"] == 3,
        || format!("migrate answered {r}"),
        "migrations applied before are `applied`, new ones `applied-now`",
    )?;
    let r = h.ok("migrate", json!({"dir": dir})).await?;
    expect(
        states(&r).iter().all(|(_, s)| s == "applied"),
        || format!("re-run answered {r}"),
        "re-running applies nothing",
    )?;
    let rows = count(h, &format!("{t}_m")).await?;
    expect(
        rows == 2,
        || format!("{t}_m holds {rows} rows"),
        "each migration ran exactly once",
    )
}

async fn migrate_failure(h: &Harness, t: &str, m: &std::path::Path) -> Result<(), Failure> {
    write_migration(
        m,
        "0004_broken.sql",
        &format!(
            "INSERT INTO {t}_m (id, label) VALUES (3, 'three');\nINSERT INTO {t}_no_such_table (x) VALUES (1);\n"
        ),
    )?;
    let dir = m.display().to_string();
    let failed = h.call("migrate", json!({"dir": dir})).await;
    let removed = std::fs::remove_file(m.join("0004_broken.sql"));
    if failed.is_ok() {
        return Err(Failure::new(
            "a migration inserting into a missing table succeeded",
            "a failing statement fails the migration",
        ));
    }
    removed.map_err(|e| Failure::new(e.to_string(), "temp folder"))?;
    let rows = count(h, &format!("{t}_m")).await?;
    expect(
        rows == 2,
        || format!("after the failed migration {t}_m holds {rows} rows"),
        "each migration runs in its own transaction: a failure rolls all of it back",
    )
}

async fn migrate_edited(h: &Harness, t: &str, m: &std::path::Path) -> Result<(), Failure> {
    write_migration(
        m,
        "0001_first.sql",
        &format!("CREATE TABLE {t}_m (id INTEGER PRIMARY KEY, label TEXT, extra TEXT);\n"),
    )?;
    let dir = m.display().to_string();
    h.fails(
        "migrate",
        json!({"dir": dir.clone()}),
        "conflict",
        "an applied migration whose file changed is refused (conflict), never re-run",
    )
    .await?;
    let dry = h
        .ok("migrate", json!({"dir": dir, "dry_run": true}))
        .await?;
    expect(
        states(&dry).first() == Some(&(1, "checksum-mismatch".to_string())),
        || format!("dry run answered {dry}"),
        "a dry run reports the edited migration as checksum-mismatch",
    )
}

async fn branches(h: &Harness) -> Result<(), Failure> {
    match h.call("list_branches", json!({})).await {
        Ok(list) if list.is_array() => Ok(()),
        Ok(other) => Err(Failure::new(
            format!("list-branches answered {other}"),
            "list-branches answers a list",
        )),
        Err(e) if e.kind.as_str() == "unsupported" => Ok(()),
        Err(e) => Err(Failure::new(
            format!("list-branches failed with {}: {}", e.kind, e.message),
            "a database without branches answers unsupported",
        )),
    }
}

async fn cleanup(h: &Harness, t: &str) -> Result<(), Failure> {
    for table in [format!("{t}_m"), t.to_string()] {
        // Engines without DROP (the fake) keep the tables of a scratch daemon.
        let _ = h
            .call("execute", json!({"sql": format!("DROP TABLE {table}")}))
            .await;
    }
    Ok(())
}
