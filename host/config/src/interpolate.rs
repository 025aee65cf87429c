//! `${VAR}` interpolation in configuration values.
//!
//! Grammar, applied to every string value of `paddock.toml` and
//! `config/drivers.toml` (never to keys):
//!
//! - `${NAME}`: the value of `NAME`; an error if unset. Set but empty gives "".
//! - `${NAME:-default}`: the value of `NAME`, or `default` when `NAME` is unset
//!   or empty. `default` may itself hold references (`${A:-${B}}`); they are
//!   looked up only when the default is used.
//! - `$$`: a literal `$`.
//! - A `$` followed by anything else is kept as is (`pa$word` stays).
//!
//! `NAME` is ASCII letters, digits and `_`, not starting with a digit.
//! Missing variables are collected across every value and reported once, as
//! `Missing required environment variables: A, B`, in first-appearance order.

use crate::env::Environment;
use crate::error::{ConfigError, Issue};

/// Expands one string against `env`; every problem is reported at once.
pub fn interpolate(text: &str, env: &Environment) -> Result<String, ConfigError> {
    let mut interpolator = Interpolator::new(env);
    let value = interpolator.expand(text, || "value".to_owned());
    let issues = interpolator.finish();
    match value {
        Some(value) if issues.is_empty() => Ok(value),
        _ => Err(ConfigError::from_issues(issues)),
    }
}

/// Expands many values, collecting missing names and syntax problems.
pub(crate) struct Interpolator<'e> {
    env: &'e Environment,
    missing: Vec<String>,
    issues: Vec<Issue>,
}

impl<'e> Interpolator<'e> {
    pub(crate) fn new(env: &'e Environment) -> Self {
        Interpolator {
            env,
            missing: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// The expanded value, or `None` when it is malformed or references a
    /// missing variable (the problem is recorded). `origin` names the value
    /// in messages, e.g. `/app/paddock.toml: slots.db.settings.url`.
    pub(crate) fn expand(&mut self, text: &str, origin: impl FnOnce() -> String) -> Option<String> {
        if !text.contains('$') {
            return Some(text.to_owned());
        }
        let mut pos = 0;
        let parts = match parse(text, &mut pos, false) {
            Ok(parts) => parts,
            Err(message) => {
                self.issues.push(Issue::Interpolation {
                    origin: origin(),
                    message,
                });
                return None;
            }
        };
        let mut out = String::with_capacity(text.len());
        eval(&parts, self.env, &mut self.missing, &mut out).then_some(out)
    }

    /// Expands each value, keeping the ones that expanded.
    pub(crate) fn expand_all(
        &mut self,
        values: &[String],
        origin: impl Fn(usize) -> String,
    ) -> Vec<String> {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| self.expand(v, || origin(i)))
            .collect()
    }

    /// The problems found: syntax problems first, then one
    /// [`Issue::MissingEnv`] naming every missing variable.
    pub(crate) fn finish(self) -> Vec<Issue> {
        let mut issues = self.issues;
        if !self.missing.is_empty() {
            issues.push(Issue::MissingEnv {
                names: self.missing,
            });
        }
        issues
    }
}

enum Part {
    Literal(String),
    Var {
        name: String,
        default: Option<Vec<Part>>,
    },
}

/// Parses from `pos`; in a default (`nested`), stops after the closing `}`.
fn parse(text: &str, pos: &mut usize, nested: bool) -> Result<Vec<Part>, String> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut literal = String::new();
    while *pos < bytes.len() {
        match (bytes[*pos], bytes.get(*pos + 1)) {
            (b'$', Some(b'$')) => {
                literal.push('$');
                *pos += 2;
            }
            (b'$', Some(b'{')) => {
                let start = *pos;
                *pos += 2;
                let name_start = *pos;
                while bytes
                    .get(*pos)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    *pos += 1;
                }
                let name = &text[name_start..*pos];
                let default = match (bytes.get(*pos), bytes.get(*pos + 1)) {
                    (None, _) => return Err(unterminated(text, start)),
                    (Some(b'}'), _) => {
                        *pos += 1;
                        None
                    }
                    (Some(b':'), Some(b'-')) => {
                        *pos += 2;
                        let inner = parse(text, pos, true).map_err(|message| {
                            if message.is_empty() {
                                unterminated(text, start)
                            } else {
                                message
                            }
                        })?;
                        Some(inner)
                    }
                    _ => return Err(malformed(text, start)),
                };
                if name.is_empty() || name.as_bytes()[0].is_ascii_digit() {
                    return Err(malformed(text, start));
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Var {
                    name: name.to_owned(),
                    default,
                });
            }
            (b'}', _) if nested => {
                *pos += 1;
                if !literal.is_empty() {
                    parts.push(Part::Literal(literal));
                }
                return Ok(parts);
            }
            _ => {
                let c = text[*pos..].chars().next().unwrap_or_default();
                literal.push(c);
                *pos += c.len_utf8().max(1);
            }
        }
    }
    if nested {
        return Err(String::new());
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

/// A short excerpt starting at the reference, so a long value (which may
/// hold other, secret text) is not echoed whole.
fn excerpt(text: &str, start: usize) -> String {
    let rest = &text[start..];
    let end = rest.find('}').map(|i| i + 1).unwrap_or(rest.len());
    let mut cut: String = rest[..end].chars().take(40).collect();
    if cut.len() < end {
        cut.push('…');
    }
    cut
}

fn unterminated(text: &str, start: usize) -> String {
    format!(
        "unterminated `{}`: close it with `}}`, or write `$$` for a literal `$`",
        excerpt(text, start)
    )
}

fn malformed(text: &str, start: usize) -> String {
    format!(
        "malformed reference `{}`: write ${{NAME}} or ${{NAME:-default}}, NAME being letters, digits and `_` not starting with a digit, or write `$$` for a literal `$`",
        excerpt(text, start)
    )
}

/// Appends the value of `parts` to `out`; false if a variable was missing.
fn eval(parts: &[Part], env: &Environment, missing: &mut Vec<String>, out: &mut String) -> bool {
    let mut complete = true;
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Var { name, default } => match (env.get(name), default) {
                (Some(value), None) => out.push_str(value),
                (Some(value), Some(_)) if !value.is_empty() => out.push_str(value),
                (_, Some(default)) => complete &= eval(default, env, missing, out),
                (None, None) => {
                    if !missing.contains(name) {
                        missing.push(name.clone());
                    }
                    complete = false;
                }
            },
        }
    }
    complete
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn expands_variables_defaults_and_dollars() {
        let e = env(&[("HOST", "db.local"), ("EMPTY", "")]);
        let ok = |t: &str| interpolate(t, &e).unwrap();
        assert_eq!(ok("postgres://${HOST}:5432"), "postgres://db.local:5432");
        assert_eq!(ok("${PORT:-5432}"), "5432");
        assert_eq!(ok("${HOST:-x}"), "db.local");
        assert_eq!(ok("${EMPTY:-fallback}"), "fallback");
        assert_eq!(ok("[${EMPTY}]"), "[]");
        assert_eq!(ok("$${HOST}"), "${HOST}");
        assert_eq!(ok("cost: $$5 and $5"), "cost: $5 and $5");
        assert_eq!(ok("${NOPE:-${HOST}}"), "db.local");
        assert_eq!(ok("${NOPE:-a:-b}"), "a:-b");
        assert_eq!(ok("${NOPE:-}"), "");
        assert_eq!(ok("plain } text ü"), "plain } text ü");
    }

    #[test]
    fn unused_defaults_do_not_count_as_missing() {
        let e = env(&[("A", "1")]);
        assert_eq!(interpolate("${A:-${MISSING}}", &e).unwrap(), "1");
    }

    #[test]
    fn reports_every_missing_variable_once_in_order() {
        let e = env(&[]);
        let mut i = Interpolator::new(&e);
        assert_eq!(i.expand("${NEON_API_KEY}", || "a".into()), None);
        assert_eq!(
            i.expand("${NEON_PROJECT_ID}/${NEON_API_KEY}", || "b".into()),
            None
        );
        assert_eq!(i.expand("${X:-${NEON_PROJECT_ID}}", || "c".into()), None);
        let issues = i.finish();
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            "Missing required environment variables: NEON_API_KEY, NEON_PROJECT_ID"
        );
    }

    #[test]
    fn malformed_references_are_errors() {
        let e = env(&[]);
        for (text, want) in [
            ("${A", "unterminated `${A`"),
            ("x ${A:-oops", "unterminated `${A:-oops`"),
            ("${}", "malformed reference `${}`"),
            ("${1A}", "malformed reference `${1A}`"),
            ("${A B}", "malformed reference `${A B}`"),
            ("${A:x}", "malformed reference `${A:x}`"),
        ] {
            let err = interpolate(text, &e).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(err.contains("$$"), "{text}: {err}");
        }
    }
}
