//! A recursive-descent parser for the subset described in [`super::SUBSET`].
//! Anything outside it is `unsupported`, naming where parsing stopped.

use paddock_sdk::{Error, Result};

use super::ast::{Cond, Expr, Items, Parsed, Stmt};
use super::lexer::{Tok, Token};
use crate::table::{ColDef, DefaultValue, TableDef};
use crate::value::Cell;

/// Words that end a clause, so they are never taken for names.
const RESERVED: &[&str] = &[
    "select",
    "from",
    "where",
    "limit",
    "and",
    "or",
    "values",
    "set",
    "insert",
    "update",
    "delete",
    "create",
    "drop",
    "table",
    "into",
    "not",
    "null",
    "order",
    "group",
    "by",
    "join",
    "on",
    "as",
    "offset",
    "having",
    "union",
    "returning",
    "primary",
    "unique",
    "check",
    "references",
    "constraint",
    "default",
    "collate",
    "foreign",
    "generated",
    "autoincrement",
    "distinct",
    "is",
    "in",
    "like",
    "between",
];

/// Words that end a column's type and start its constraints.
const CONSTRAINTS: &[&str] = &[
    "primary",
    "not",
    "null",
    "unique",
    "default",
    "check",
    "references",
    "collate",
    "constraint",
    "generated",
    "autoincrement",
];

pub struct Parser<'a> {
    sql: &'a str,
    toks: &'a [Token],
    pos: usize,
    qmarks: usize,
    numbered: usize,
}

impl<'a> Parser<'a> {
    pub fn new(sql: &'a str, toks: &'a [Token]) -> Self {
        Self {
            sql,
            toks,
            pos: 0,
            qmarks: 0,
            numbered: 0,
        }
    }

    /// One statement, up to the end of the tokens (a trailing `;` allowed).
    pub fn statement(mut self) -> Result<Parsed> {
        let stmt = if self.kw("select") {
            self.select()?
        } else if self.kw("insert") {
            self.insert()?
        } else if self.kw("update") {
            self.update()?
        } else if self.kw("delete") {
            self.expect_kw("from")?;
            let table = self.name("table")?;
            Stmt::Delete {
                table,
                filter: self.filter()?,
            }
        } else if self.kw("create") {
            let _ = self.kw("temp") || self.kw("temporary");
            self.expect_kw("table")?;
            self.create_table()?
        } else if self.kw("drop") {
            self.expect_kw("table")?;
            let if_exists = self.kw("if");
            if if_exists {
                self.expect_kw("exists")?;
            }
            Stmt::DropTable {
                table: self.name("table")?,
                if_exists,
            }
        } else if self.kw("alter") {
            self.expect_kw("table")?;
            let table = self.name("table")?;
            self.expect_kw("add")?;
            let _ = self.kw("column");
            let column = self.column_def()?;
            Stmt::AddColumn { table, column }
        } else if self.pos == 0 && !self.starts_a_known_statement() {
            // Not SQL any engine would run: a syntax error, as a real database says.
            return Err(Error::invalid_input(format!(
                "syntax error: {} does not start an SQL statement",
                self.found()
            )));
        } else {
            return Err(self.unexpected("a statement of the subset"));
        };
        let _ = self.sym(";");
        if self.pos < self.toks.len() {
            return Err(self.unexpected("the end of the statement"));
        }
        if self.qmarks > 0 && self.numbered > 0 {
            return Err(Error::invalid_input(
                "use either ? or $n parameters in one statement, not both",
            ));
        }
        Ok(Parsed {
            stmt,
            params: self.qmarks.max(self.numbered),
        })
    }

    fn select(&mut self) -> Result<Stmt> {
        enum Item {
            Star,
            Count,
            Col(String),
            Val(Expr),
        }
        let mut items = Vec::new();
        loop {
            let start = self.here();
            let item = if self.sym("*") {
                Item::Star
            } else if self.peek_kw("count") && self.peek_sym_at(1, "(") {
                self.pos += 2;
                self.expect_sym("*")?;
                self.expect_sym(")")?;
                Item::Count
            } else if self.at_name() {
                Item::Col(self.name("column")?)
            } else {
                Item::Val(self.expr()?)
            };
            let text = self.sql[start..self.prev_end()].to_owned();
            let label = if self.kw("as") {
                self.name("alias")?
            } else {
                text
            };
            items.push((item, label));
            if !self.sym(",") {
                break;
            }
        }
        if !self.kw("from") {
            return items
                .into_iter()
                .map(|(item, label)| match item {
                    Item::Val(e) => Ok((e, label)),
                    _ => Err(Error::unsupported(format!(
                        "'{label}' needs a FROM clause. {}",
                        super::SUBSET
                    ))),
                })
                .collect::<Result<_>>()
                .map(Stmt::Values);
        }
        let table = self.name("table")?;
        let mixed = || {
            Error::unsupported(format!(
                "select either *, COUNT(*) or a list of columns. {}",
                super::SUBSET
            ))
        };
        let items = match &items[..] {
            [(Item::Star, _)] => Items::Star,
            [(Item::Count, label)] => Items::Count(label.clone()),
            _ => Items::Columns(
                items
                    .into_iter()
                    .map(|(item, label)| match item {
                        Item::Col(c) => Ok((c, label)),
                        _ => Err(mixed()),
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        let filter = self.filter()?;
        let limit = if self.kw("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Stmt::Select {
            table,
            items,
            filter,
            limit,
        })
    }

    fn insert(&mut self) -> Result<Stmt> {
        self.expect_kw("into")?;
        let table = self.name("table")?;
        let columns = if self.sym("(") {
            Some(self.names_until_close("column")?)
        } else {
            None
        };
        self.expect_kw("values")?;
        let mut rows = Vec::new();
        loop {
            self.expect_sym("(")?;
            let mut row = vec![self.expr()?];
            while self.sym(",") {
                row.push(self.expr()?);
            }
            self.expect_sym(")")?;
            rows.push(row);
            if !self.sym(",") {
                return Ok(Stmt::Insert {
                    table,
                    columns,
                    rows,
                });
            }
        }
    }

    fn update(&mut self) -> Result<Stmt> {
        let table = self.name("table")?;
        self.expect_kw("set")?;
        let mut sets = Vec::new();
        loop {
            let col = self.name("column")?;
            self.expect_sym("=")?;
            sets.push((col, self.expr()?));
            if !self.sym(",") {
                break;
            }
        }
        Ok(Stmt::Update {
            table,
            sets,
            filter: self.filter()?,
        })
    }

    fn filter(&mut self) -> Result<Vec<Cond>> {
        let mut conds = Vec::new();
        if self.kw("where") {
            loop {
                let column = self.name("column")?;
                self.expect_sym("=")?;
                conds.push(Cond {
                    column,
                    value: self.expr()?,
                });
                if !self.kw("and") {
                    break;
                }
            }
        }
        Ok(conds)
    }

    fn create_table(&mut self) -> Result<Stmt> {
        let if_not_exists = if self.kw("if") {
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            true
        } else {
            false
        };
        let name = self.name("table")?;
        self.expect_sym("(")?;
        let mut columns: Vec<ColDef> = Vec::new();
        let mut table_pk: Option<Vec<String>> = None;
        loop {
            if self.kw("constraint") {
                self.name("constraint")?;
            }
            if self.kw("primary") {
                self.expect_kw("key")?;
                self.expect_sym("(")?;
                if table_pk
                    .replace(self.names_until_close("column")?)
                    .is_some()
                {
                    return Err(Error::invalid_input(format!(
                        "table '{name}' declares PRIMARY KEY twice"
                    )));
                }
            } else if self.kw("unique") {
                self.expect_sym("(")?;
                self.names_until_close("column")?;
            } else if self.kw("check") {
                self.skip_parens()?;
            } else if self.kw("foreign") {
                self.expect_kw("key")?;
                self.expect_sym("(")?;
                self.names_until_close("column")?;
                self.expect_kw("references")?;
                self.references()?;
            } else {
                columns.push(self.column_def()?);
            }
            if !self.sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        // SQLite table options, meaningless here.
        loop {
            if self.kw("without") {
                self.expect_kw("rowid")?;
            } else if !self.kw("strict") {
                break;
            }
            let _ = self.sym(",");
        }
        if let Some(pk) = table_pk {
            if columns.iter().any(|c| c.primary_key) {
                return Err(Error::invalid_input(format!(
                    "table '{name}' declares PRIMARY KEY twice"
                )));
            }
            for key in pk {
                let col = columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&key))
                    .ok_or_else(|| {
                        Error::invalid_input(format!(
                            "PRIMARY KEY names column '{key}', which table '{name}' does not have"
                        ))
                    })?;
                col.primary_key = true;
            }
        } else if columns.iter().filter(|c| c.primary_key).count() > 1 {
            return Err(Error::invalid_input(format!(
                "table '{name}' has PRIMARY KEY on several columns; use PRIMARY KEY (a, b) for a composite key"
            )));
        }
        Ok(Stmt::CreateTable {
            def: TableDef::new(&name, columns)?,
            if_not_exists,
        })
    }

    /// `name [type] [constraints]`; UNIQUE, CHECK, REFERENCES and COLLATE
    /// are accepted and not enforced.
    fn column_def(&mut self) -> Result<ColDef> {
        let name = self.name("column")?;
        let type_start = self.here();
        let mut typed = false;
        while let Some(Tok::Word(w)) = self.peek() {
            if CONSTRAINTS.iter().any(|c| w.eq_ignore_ascii_case(c)) {
                break;
            }
            self.pos += 1;
            typed = true;
        }
        if typed && self.sym("(") {
            self.skip_until_close()?;
        }
        let type_name = if typed {
            self.sql[type_start..self.prev_end()].to_owned()
        } else {
            String::new()
        };
        let mut col = ColDef {
            name,
            type_name,
            nullable: true,
            primary_key: false,
            default: None,
            auto: false,
        };
        loop {
            if self.kw("constraint") {
                self.name("constraint")?;
            } else if self.kw("primary") {
                self.expect_kw("key")?;
                let _ = self.kw("asc") || self.kw("desc");
                col.primary_key = true;
            } else if self.kw("autoincrement") {
                col.auto = true;
            } else if self.kw("not") {
                self.expect_kw("null")?;
                col.nullable = false;
            } else if self.kw("null") || self.kw("unique") {
            } else if self.kw("default") {
                col.default = Some(self.default_value()?);
            } else if self.kw("check") {
                self.skip_parens()?;
            } else if self.kw("references") {
                self.references()?;
            } else if self.kw("collate") {
                self.name("collation")?;
            } else if self.kw("generated") {
                if !self.kw("always") {
                    self.expect_kw("by")?;
                    self.expect_kw("default")?;
                }
                self.expect_kw("as")?;
                self.expect_kw("identity")?;
                col.auto = true;
            } else {
                return Ok(col);
            }
        }
    }

    fn default_value(&mut self) -> Result<DefaultValue> {
        if self.kw("current_timestamp") {
            return Ok(DefaultValue::CurrentTimestamp);
        }
        let paren = self.sym("(");
        let value = match self.expr()? {
            Expr::Lit(c) => c,
            Expr::Param(_) => return Err(Error::invalid_input("DEFAULT cannot be a parameter")),
        };
        if paren {
            self.expect_sym(")")?;
        }
        Ok(DefaultValue::Value(value))
    }

    fn references(&mut self) -> Result<()> {
        self.name("table")?;
        if self.sym("(") {
            self.names_until_close("column")?;
        }
        while self.kw("on") {
            if !self.kw("delete") {
                self.expect_kw("update")?;
            }
            if self.kw("set") {
                let _ = self.kw("null") || self.kw("default");
            } else if self.kw("no") {
                self.expect_kw("action")?;
            } else if !(self.kw("cascade") || self.kw("restrict")) {
                return Err(
                    self.unexpected("CASCADE, RESTRICT, SET NULL, SET DEFAULT or NO ACTION")
                );
            }
        }
        Ok(())
    }

    /// A literal or a parameter.
    fn expr(&mut self) -> Result<Expr> {
        let negative = self.sym("-");
        let Some(tok) = self.peek().cloned() else {
            return Err(self.unexpected("a value"));
        };
        let lit = match tok {
            Tok::Num(n) => {
                let text = if negative { format!("-{n}") } else { n };
                match text.parse::<i64>() {
                    Ok(i) => Cell::Int(i),
                    Err(_) => Cell::Float(text.parse().map_err(|_| {
                        Error::invalid_input(format!("number {text} is out of range"))
                    })?),
                }
            }
            _ if negative => return Err(self.unexpected("a number after '-'")),
            Tok::Str(s) => Cell::Text(s),
            Tok::Blob(b) => Cell::Bytes(b),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Cell::Null,
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Cell::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Cell::Bool(false),
            Tok::Param(None) => {
                self.pos += 1;
                self.qmarks += 1;
                return Ok(Expr::Param(self.qmarks - 1));
            }
            Tok::Param(Some(n)) => {
                self.pos += 1;
                self.numbered = self.numbered.max(n);
                return Ok(Expr::Param(n - 1));
            }
            _ => return Err(self.unexpected("a literal value or a ? parameter")),
        };
        self.pos += 1;
        Ok(Expr::Lit(lit))
    }

    fn names_until_close(&mut self, what: &str) -> Result<Vec<String>> {
        let mut names = vec![self.name(what)?];
        while self.sym(",") {
            names.push(self.name(what)?);
        }
        self.expect_sym(")")?;
        Ok(names)
    }

    fn skip_parens(&mut self) -> Result<()> {
        self.expect_sym("(")?;
        self.skip_until_close()
    }

    /// Skips to the `)` matching an already consumed `(`.
    fn skip_until_close(&mut self) -> Result<()> {
        let mut depth = 1;
        while depth > 0 {
            match self.peek() {
                Some(Tok::Sym("(")) => depth += 1,
                Some(Tok::Sym(")")) => depth -= 1,
                None => return Err(self.unexpected("')'")),
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn at_name(&self) -> bool {
        match self.peek() {
            Some(Tok::Quoted(_)) => true,
            Some(Tok::Word(w)) => {
                !["null", "true", "false"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                    && !is_reserved(w)
            }
            _ => false,
        }
    }

    fn name(&mut self, what: &str) -> Result<String> {
        match self.peek() {
            Some(Tok::Quoted(n)) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Word(w)) if !is_reserved(w) => {
                let w = w.clone();
                self.pos += 1;
                if self.peek() == Some(&Tok::Sym(".")) {
                    return Err(self.unexpected("an unqualified name (no schema or table prefix)"));
                }
                Ok(w)
            }
            _ => Err(self.unexpected(&format!("a {what} name"))),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn peek_sym_at(&self, ahead: usize, s: &str) -> bool {
        matches!(self.toks.get(self.pos + ahead), Some(Token { tok: Tok::Sym(x), .. }) if *x == s)
    }

    fn kw(&mut self, k: &str) -> bool {
        let hit = self.peek_kw(k);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_kw(&mut self, k: &str) -> Result<()> {
        if self.kw(k) {
            Ok(())
        } else {
            Err(self.unexpected(&k.to_ascii_uppercase()))
        }
    }

    fn sym(&mut self, s: &str) -> bool {
        let hit = self.peek_sym_at(0, s);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_sym(&mut self, s: &str) -> Result<()> {
        if self.sym(s) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{s}'")))
        }
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.sql.len(), |t| t.start)
    }

    fn prev_end(&self) -> usize {
        self.pos.checked_sub(1).map_or(0, |p| self.toks[p].end)
    }

    fn found(&self) -> String {
        match self.toks.get(self.pos) {
            Some(t) => format!("'{}' at offset {}", &self.sql[t.start..t.end], t.start),
            None => "the end of the statement".to_owned(),
        }
    }

    fn unexpected(&self, wanted: &str) -> Error {
        Error::unsupported(format!(
            "expected {wanted}, found {}. {}",
            self.found(),
            super::SUBSET
        ))
    }

    /// Whether the first word starts some SQL statement (of the subset or
    /// not): outside the subset is `unsupported`, not SQL at all is a syntax error.
    fn starts_a_known_statement(&self) -> bool {
        const STATEMENTS: &[&str] = &[
            "select",
            "insert",
            "update",
            "delete",
            "create",
            "drop",
            "alter",
            "with",
            "begin",
            "start",
            "commit",
            "rollback",
            "end",
            "savepoint",
            "release",
            "pragma",
            "explain",
            "analyze",
            "vacuum",
            "reindex",
            "attach",
            "detach",
            "grant",
            "revoke",
            "truncate",
            "merge",
            "values",
            "set",
            "show",
            "copy",
            "comment",
            "lock",
            "call",
            "do",
            "listen",
            "notify",
            "unlisten",
            "prepare",
            "execute",
            "deallocate",
            "declare",
            "fetch",
            "close",
            "move",
            "refresh",
            "reset",
            "discard",
            "checkpoint",
            "load",
            "cluster",
            "security",
            "import",
            "replace",
            "upsert",
            "table",
            "use",
        ];
        match self.toks.first() {
            Some(t) => {
                let word = &self.sql[t.start..t.end];
                STATEMENTS.iter().any(|s| s.eq_ignore_ascii_case(word)) || word.starts_with('(')
            }
            None => true,
        }
    }
}

fn is_reserved(w: &str) -> bool {
    RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r))
}
