//! The SQL subset of fake_db: parsed for real (a lexer and a
//! recursive-descent parser), executed against the table store.

mod ast;
mod exec;
mod lexer;
mod parser;

pub use ast::Parsed;
pub use exec::run;

use paddock_sdk::db::{RowSet, Value};
use paddock_sdk::state::Store;
use paddock_sdk::{Error, Result};

use crate::tx::Tx;
use crate::value::Cell;
use lexer::{Tok, Token};

/// Named in every `unsupported` answer, so callers learn what does work.
pub const SUBSET: &str = "fake_db runs only this SQL subset: \
    SELECT * | col [AS a], ... | COUNT(*) FROM t [WHERE col = v [AND ...]] [LIMIT n]; \
    SELECT v, ...; INSERT INTO t [(col, ...)] VALUES (v, ...)[, ...]; \
    UPDATE t SET col = v, ... [WHERE ...]; DELETE FROM t [WHERE ...]; \
    CREATE TABLE [IF NOT EXISTS] t (col TYPE [PRIMARY KEY] [NOT NULL] [DEFAULT v], ...); \
    DROP TABLE [IF EXISTS] t; ALTER TABLE t ADD [COLUMN] col TYPE; \
    where v is a literal, ? or $n";

/// The `query` verb. Writes are refused up front from the parsed
/// statement, and the statement runs in a transaction that is never
/// committed, so nothing it does can persist either way.
pub fn query(store: &mut dyn Store, sql: &str, params: Vec<Value>, now_ms: u64) -> Result<RowSet> {
    let parsed = parse_one(sql)?;
    if parsed.stmt.is_write() {
        return Err(read_only());
    }
    let params = bind(&parsed, params)?;
    let mut tx = Tx::new(store);
    let out = run(&mut tx, parsed.stmt, &params, now_ms)?;
    if tx.has_writes() {
        return Err(read_only());
    }
    Ok(RowSet {
        columns: out.columns,
        rows: out.rows,
        rows_read: out.rows_read,
    })
}

fn read_only() -> Error {
    Error::access_denied("query is read-only; use execute for INSERT, UPDATE, DELETE and DDL")
}

/// The `execute` verb: the statement's writes land together or not at all.
pub fn execute(store: &mut dyn Store, sql: &str, params: Vec<Value>, now_ms: u64) -> Result<u64> {
    let parsed = parse_one(sql)?;
    let params = bind(&parsed, params)?;
    let mut tx = Tx::new(store);
    let out = run(&mut tx, parsed.stmt, &params, now_ms)?;
    tx.commit();
    Ok(out.rows_affected)
}

/// The one statement of `sql` (a trailing `;` allowed).
pub fn parse_one(sql: &str) -> Result<Parsed> {
    let toks = lexer::lex(sql)?;
    let mut pieces = split(&toks);
    match pieces.len() {
        0 => Err(Error::invalid_input("the SQL holds no statement")),
        1 => parser::Parser::new(sql, pieces.remove(0)).statement(),
        n => Err(Error::invalid_input(format!(
            "the SQL holds {n} statements; send one per call"
        ))),
    }
}

/// The statements of a migration script: `None` for those outside the
/// statement kinds of the subset (they are recorded, not run); one of the
/// subset's kinds that does not parse is an error.
pub fn parse_script(sql: &str) -> Result<Vec<Option<Parsed>>> {
    let toks = lexer::lex(sql)?;
    split(&toks)
        .into_iter()
        .map(|piece| {
            if recognised(piece) {
                parser::Parser::new(sql, piece).statement().map(Some)
            } else {
                Ok(None)
            }
        })
        .collect()
}

/// The parameter values, checked against the placeholders.
pub fn bind(parsed: &Parsed, params: Vec<Value>) -> Result<Vec<Cell>> {
    if params.len() != parsed.params {
        return Err(Error::invalid_input(format!(
            "the statement has {} parameter(s) but {} value(s) were given",
            parsed.params,
            params.len()
        )));
    }
    Ok(params.into_iter().map(Cell::from).collect())
}

/// Token runs between `;`s, without empty ones.
fn split(toks: &[Token]) -> Vec<&[Token]> {
    toks.split(|t| t.tok == Tok::Sym(";"))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a statement starts like one of the subset's kinds.
fn recognised(piece: &[Token]) -> bool {
    let word = |i: usize| match piece.get(i).map(|t| &t.tok) {
        Some(Tok::Word(w)) => w.to_ascii_lowercase(),
        _ => String::new(),
    };
    match word(0).as_str() {
        "select" | "insert" | "update" | "delete" => true,
        "create" => {
            word(1) == "table"
                || (matches!(word(1).as_str(), "temp" | "temporary") && word(2) == "table")
        }
        "drop" => word(1) == "table",
        "alter" => {
            let col = if word(4) == "column" { 5 } else { 4 };
            word(1) == "table"
                && word(3) == "add"
                && !matches!(
                    word(col).as_str(),
                    "constraint" | "primary" | "unique" | "foreign" | "check"
                )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
