//! A checked walk over a parsed TOML document that keeps line numbers and
//! collects every problem instead of stopping at the first.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::error::{ConfigError, Issue, Location};

/// Walks one document; problems accumulate in `issues`.
pub(crate) struct Walker<'s> {
    file: &'s Path,
    src: &'s str,
    pub(crate) issues: Vec<Issue>,
}

impl<'s> Walker<'s> {
    /// Parses `src`; a syntax error fails at once (nothing can be walked).
    pub(crate) fn parse(
        src: &'s str,
        file: &'s Path,
    ) -> Result<(Self, Spanned<DeTable<'s>>), ConfigError> {
        let walker = Walker {
            file,
            src,
            issues: Vec::new(),
        };
        match DeTable::parse(src) {
            Ok(doc) => Ok((walker, doc)),
            Err(e) => {
                let location = walker.location(e.span().unwrap_or(0..0));
                Err(Issue::TomlSyntax {
                    location,
                    message: e.message().trim().to_owned(),
                }
                .into())
            }
        }
    }

    /// The file, line and column where `span` starts.
    pub(crate) fn location(&self, span: Range<usize>) -> Location {
        let offset = span.start.min(self.src.len());
        let before = self.src.get(..offset).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            file: self.file.to_owned(),
            line: Some(before.matches('\n').count() + 1),
            column: Some(
                before
                    .get(line_start..)
                    .map_or(1, |s| s.chars().count() + 1),
            ),
        }
    }

    /// The line where `span` starts (no column), for messages about whole keys.
    pub(crate) fn line_location(&self, span: Range<usize>) -> Location {
        Location {
            column: None,
            ..self.location(span)
        }
    }

    pub(crate) fn unknown_key(&mut self, key: &Spanned<DeString<'_>>, path: &str, valid: &[&str]) {
        let suggestion = closest(key.get_ref(), valid).map(str::to_owned);
        self.issues.push(Issue::UnknownKey {
            location: self.line_location(key.span()),
            key: path.to_owned(),
            valid: valid.iter().map(|s| (*s).to_owned()).collect(),
            suggestion,
        });
    }

    pub(crate) fn missing_key(&mut self, span: Range<usize>, key: &str, example: &str) {
        self.issues.push(Issue::MissingKey {
            location: self.line_location(span),
            key: key.to_owned(),
            example: example.to_owned(),
        });
    }

    fn wrong_type(&mut self, value: &Spanned<DeValue<'_>>, path: &str, expected: &str) {
        self.issues.push(Issue::WrongType {
            location: self.line_location(value.span()),
            key: path.to_owned(),
            expected: expected.to_owned(),
            found: value.get_ref().type_str().to_owned(),
        });
    }

    pub(crate) fn table<'a, 'i>(
        &mut self,
        value: &'a Spanned<DeValue<'i>>,
        path: &str,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.wrong_type(value, path, "a table");
                None
            }
        }
    }

    pub(crate) fn string(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(value, path, "a string");
                None
            }
        }
    }

    /// A string, or a number, boolean or datetime kept as its text.
    pub(crate) fn scalar(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(i) => Some(
                i64::from_str_radix(i.as_str(), i.radix())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| i.to_string()),
            ),
            DeValue::Float(f) => Some(f.as_str().to_owned()),
            DeValue::Boolean(b) => Some(b.to_string()),
            DeValue::Datetime(d) => Some(d.to_string()),
            DeValue::Array(_) | DeValue::Table(_) => {
                self.wrong_type(value, path, "a string, number or boolean");
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(value, path, "true or false");
                None
            }
        }
    }

    pub(crate) fn string_list(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Vec<String> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, path, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = self.string(item, &format!("{path}[{i}]")) {
                out.push(s);
            }
        }
        out
    }
}

/// `prefix.key`, quoting `key` when it is not a bare TOML key.
pub(crate) fn key_path(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// The valid key nearest to `key`, if it is a plausible typo.
fn closest<'v>(key: &str, valid: &[&'v str]) -> Option<&'v str> {
    valid
        .iter()
        .map(|v| (edit_distance(key, v), *v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3) && *d < v.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest("htp", &["http", "secrets", "tcp"]), Some("http"));
        assert_eq!(
            closest("drvier", &["driver", "settings", "grants"]),
            Some("driver")
        );
        assert_eq!(closest("zzzzzz", &["http", "secrets", "tcp"]), None);
    }

    #[test]
    fn quotes_non_bare_keys() {
        assert_eq!(
            key_path("slots.db.settings", "a.b"),
            "slots.db.settings.\"a.b\""
        );
        assert_eq!(key_path("", "server"), "server");
    }

    #[test]
    fn locations_are_one_based() {
        let src = "a = 1\nbé = 2\n";
        let w = Walker {
            file: Path::new("/f.toml"),
            src,
            issues: Vec::new(),
        };
        let at = src.find("= 2").unwrap();
        assert_eq!(w.location(at..at).to_string(), "/f.toml:2:4");
    }
}
