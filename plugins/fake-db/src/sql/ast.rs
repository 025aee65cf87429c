//! The statements of the subset, as the parser produces them.

use crate::table::{ColDef, TableDef};
use crate::value::Cell;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Cell),
    /// 0-based parameter index.
    Param(usize),
}

/// `column = value`; a filter is these joined by AND.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub column: String,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Items {
    Star,
    /// `COUNT(*)`, with its column label.
    Count(String),
    /// Columns with their labels (the alias, else the name).
    Columns(Vec<(String, String)>),
}

#[derive(Debug, Clone)]
pub enum Stmt {
    /// `SELECT 1, 'a'`: values with their labels.
    Values(Vec<(Expr, String)>),
    Select {
        table: String,
        items: Items,
        filter: Vec<Cond>,
        limit: Option<Expr>,
    },
    Insert {
        table: String,
        columns: Option<Vec<String>>,
        rows: Vec<Vec<Expr>>,
    },
    Update {
        table: String,
        sets: Vec<(String, Expr)>,
        filter: Vec<Cond>,
    },
    Delete {
        table: String,
        filter: Vec<Cond>,
    },
    CreateTable {
        def: TableDef,
        if_not_exists: bool,
    },
    DropTable {
        table: String,
        if_exists: bool,
    },
    AddColumn {
        table: String,
        column: ColDef,
    },
}

impl Stmt {
    pub fn is_write(&self) -> bool {
        !matches!(self, Stmt::Values(_) | Stmt::Select { .. })
    }
}

/// A statement and how many parameters it takes.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub stmt: Stmt,
    pub params: usize,
}
