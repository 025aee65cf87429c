//! Tokens of the SQL subset. Lexing is exact (strings, quoted names,
//! comments) so that the parser sees statements, never keyword soup.

use paddock_sdk::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted name or keyword, as written.
    Word(String),
    /// A `"quoted"` name.
    Quoted(String),
    Str(String),
    Num(String),
    /// `X'0aff'`.
    Blob(Vec<u8>),
    /// `?` (none) or `$n` (1-based).
    Param(Option<usize>),
    Sym(&'static str),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

// Longest first, so `<=` is not read as `<`.
const SYMBOLS: &[&str] = &[
    "<=", ">=", "<>", "!=", "||", "::", "(", ")", ",", ";", "*", "=", ".", "-", "+", "<", ">", "/",
    "%", "[", "]", ":",
];

pub fn lex(sql: &str) -> Result<Vec<Token>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, what: &str| {
        Error::invalid_input(format!("SQL syntax error at offset {at}: {what}"))
    };
    while i < b.len() {
        let start = i;
        let c = b[i];
        let tok = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or_else(|| err(start, "unterminated /* comment"))?;
                continue;
            }
            b'\'' => {
                let (s, next) = quoted(sql, i, '\'')
                    .ok_or_else(|| err(start, "unterminated string literal"))?;
                i = next;
                Tok::Str(s)
            }
            b'"' => {
                let (s, next) =
                    quoted(sql, i, '"').ok_or_else(|| err(start, "unterminated quoted name"))?;
                i = next;
                Tok::Quoted(s)
            }
            b'x' | b'X' if b.get(i + 1) == Some(&b'\'') => {
                let (s, next) = quoted(sql, i + 1, '\'')
                    .ok_or_else(|| err(start, "unterminated blob literal"))?;
                i = next;
                Tok::Blob(unhex(&s).ok_or_else(|| {
                    err(
                        start,
                        "blob literal X'..' needs an even number of hex digits",
                    )
                })?)
            }
            b'?' => {
                i += 1;
                Tok::Param(None)
            }
            b'$' => {
                let digits = sql[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
                let n: usize = sql[i + 1..i + 1 + digits]
                    .parse()
                    .map_err(|_| err(start, "'$' must be followed by a parameter number ($1)"))?;
                if n == 0 {
                    return Err(err(start, "parameters are numbered from $1"));
                }
                i += 1 + digits;
                Tok::Param(Some(n))
            }
            _ if c.is_ascii_digit()
                || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                i = number_end(b, i);
                Tok::Num(sql[start..i].to_owned())
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                Tok::Word(sql[start..i].to_owned())
            }
            _ => {
                let sym = SYMBOLS.iter().find(|s| sql[i..].starts_with(**s));
                let sym = sym.ok_or_else(|| {
                    err(
                        start,
                        &format!(
                            "unexpected character '{}'",
                            sql[i..].chars().next().unwrap_or(' ')
                        ),
                    )
                })?;
                i += sym.len();
                Tok::Sym(sym)
            }
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// The text of a literal opened by `q` at `open`, with doubled quotes
/// unescaped, and the offset after it.
fn quoted(sql: &str, open: usize, q: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = sql[open + 1..].char_indices().peekable();
    while let Some((n, c)) = chars.next() {
        if c == q {
            if chars.peek().is_some_and(|&(_, c2)| c2 == q) {
                chars.next();
            } else {
                return Some((out, open + 1 + n + 1));
            }
        }
        out.push(c);
    }
    None
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1
        }
    };
    digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i += 1 + sign;
            digits(&mut i);
        }
    }
    i
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(sql: &str) -> Vec<Tok> {
        lex(sql).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        use Tok::*;
        assert_eq!(
            toks("SELECT \"a b\", 'it''s' FROM t -- note\nWHERE x <= $2 /* c */ AND y = ?;"),
            vec![
                Word("SELECT".into()),
                Quoted("a b".into()),
                Sym(","),
                Str("it's".into()),
                Word("FROM".into()),
                Word("t".into()),
                Word("WHERE".into()),
                Word("x".into()),
                Sym("<="),
                Param(Some(2)),
                Word("AND".into()),
                Word("y".into()),
                Sym("="),
                Param(None),
                Sym(";"),
            ]
        );
        assert_eq!(
            toks("1.5e3 .5 7 x'0aFF'"),
            vec![
                Num("1.5e3".into()),
                Num(".5".into()),
                Num("7".into()),
                Blob(vec![10, 255])
            ]
        );
        assert_eq!(toks("'a;b' -- ; not a split"), vec![Str("a;b".into())]);
    }

    #[test]
    fn errors() {
        for bad in ["'open", "\"open", "/* open", "a # b", "$x", "$0", "x'abc'"] {
            assert_eq!(lex(bad).unwrap_err().kind(), "invalid-input", "{bad}");
        }
    }
}
