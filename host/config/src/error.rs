//! The crate's one error type, [`ConfigError`], and the problems it carries.
//!
//! Loading collects every problem it can find before failing, so that
//! `paddock check` can report all of them in one go: a [`ConfigError`] holds
//! one or more [`Issue`]s and renders them one per line.

use std::fmt;
use std::path::PathBuf;

/// Where in a file a problem was found: `path`, `path:line` or `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (absolute when it came from a resolved path).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl Location {
    /// A whole file, no line.
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// One problem with the configuration.
///
/// Every message says what is wrong and what to do about it. Messages start
/// lowercase (they read after "failed to load config: "), except
/// [`Issue::MissingEnv`], whose wording users of the seed systems already know.
/// No message ever contains an environment variable's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Issue {
    /// `${VAR}` references to variables that are not set, in first-appearance order.
    #[error("Missing required environment variables: {}", .names.join(", "))]
    MissingEnv {
        /// The variable names, each once.
        names: Vec<String>,
    },
    /// A file that was named explicitly does not exist.
    #[error(
        "{} not found (named by {named_by}): create it, or point {named_by} at an existing file",
        .path.display()
    )]
    FileNotFound {
        /// The file looked for.
        path: PathBuf,
        /// What named it: `--config`, `PADDOCK_CONFIG`, `[server] drivers`, ...
        named_by: String,
    },
    /// A file exists but could not be read.
    #[error("cannot read {}: {reason}; check that it is a readable UTF-8 text file", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A TOML file does not parse.
    #[error("{location}: invalid TOML: {message}; fix the syntax at that spot")]
    TomlSyntax {
        /// Where the parser stopped.
        location: Location,
        /// The parser's message.
        message: String,
    },
    /// A key that paddock does not know.
    #[error(
        "{location}: unknown key `{key}`{}; valid keys here are: {}",
        .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
        .valid.join(", ")
    )]
    UnknownKey {
        /// Where the key is.
        location: Location,
        /// Its full dotted path, e.g. `slots.db.grants.htp`.
        key: String,
        /// The keys accepted in that table.
        valid: Vec<String>,
        /// The closest valid key, when one is close.
        suggestion: Option<String>,
    },
    /// A required key is absent.
    #[error("{location}: `{key}` is missing; add it, e.g. {example}")]
    MissingKey {
        /// The table that lacks it.
        location: Location,
        /// Its full dotted path.
        key: String,
        /// A line that would fix it.
        example: String,
    },
    /// A value of the wrong TOML type.
    #[error("{location}: `{key}` must be {expected}, found {found}; change the value's type")]
    WrongType {
        /// Where the value is.
        location: Location,
        /// Its full dotted path.
        key: String,
        /// What was expected, e.g. "a string".
        expected: String,
        /// The TOML type found, e.g. "integer".
        found: String,
    },
    /// A slot name outside `[a-z][a-z0-9_-]{0,62}`.
    #[error(
        "{location}: invalid slot name `{name}`: use 1 to 63 characters of a-z, 0-9, `_` and `-`, starting with a letter"
    )]
    InvalidSlotName {
        /// Where the slot is declared.
        location: Location,
        /// The name as written.
        name: String,
    },
    /// Two tables configure the same slot (`[slots.db]` and `[slots.database]`).
    #[error(
        "{location}: `[slots.{written}]` configures slot `{slot}` a second time; merge it into one table"
    )]
    DuplicateSlot {
        /// Where the second table is.
        location: Location,
        /// The name as written in the second table.
        written: String,
        /// The canonical slot name.
        slot: String,
    },
    /// Two slot names map onto the same `<SLOT>_DRIVER` variable.
    #[error("slots `{first}` and `{second}` would both be chosen by env {var}; rename one of them")]
    SlotEnvClash {
        /// One slot.
        first: String,
        /// The other slot.
        second: String,
        /// The variable both read.
        var: String,
    },
    /// A `.env` line that does not parse.
    #[error(
        "{location}: cannot parse this .env line; write it as NAME=value and quote values that contain spaces, quotes or `#`"
    )]
    DotEnvSyntax {
        /// The file, line and column.
        location: Location,
    },
    /// `DATABASE_TYPE` holds a value paddock does not map to a driver.
    #[error(
        "unsupported DATABASE_TYPE `{value}`: use supabase, postgresql, postgres or sqlite, or set DB_DRIVER to choose the driver"
    )]
    DatabaseType {
        /// The value found.
        value: String,
    },
    /// `DATABASE_URL` has a scheme paddock cannot map to a driver.
    #[error(
        "{}: paddock detects sqlite:, postgres:// and postgresql://; set DB_DRIVER to choose the driver",
        match .scheme { Some(s) => format!("unsupported DATABASE_URL scheme `{s}`"), None => "DATABASE_URL has no scheme".to_owned() }
    )]
    DatabaseUrl {
        /// The scheme found, if any (never the whole URL: it may hold a password).
        scheme: Option<String>,
    },
    /// A driver name outside `[a-z][a-z0-9_-]{0,62}`.
    #[error(
        "invalid driver name `{name}` from {origin}: use 1 to 63 characters of a-z, 0-9, `_` and `-`, starting with a letter"
    )]
    InvalidDriverName {
        /// The name found.
        name: String,
        /// Where it came from, e.g. `env DB_DRIVER`.
        origin: String,
    },
    /// A configured slot that nothing gives a driver.
    #[error(
        "{location}: slot `{slot}` has no driver: add `driver = \"...\"` to [slots.{slot}] or set {env_var}"
    )]
    NoDriver {
        /// Where the slot is declared.
        location: Location,
        /// The slot.
        slot: String,
        /// The variable that would choose one.
        env_var: String,
    },
    /// A malformed `${...}` reference.
    #[error("{origin}: {message}")]
    Interpolation {
        /// The file and key, e.g. `/app/paddock.toml: slots.db.settings.url`.
        origin: String,
        /// What is wrong and how to write it instead.
        message: String,
    },
    /// A value with the right type but a wrong form.
    #[error("invalid {what} `{value}` from {origin}: {expected}")]
    InvalidValue {
        /// What the value is, e.g. "listen address".
        what: String,
        /// The value found.
        value: String,
        /// Where it came from, e.g. `PADDOCK_LISTEN` or `/app/paddock.toml: server.listen`.
        origin: String,
        /// What would be accepted.
        expected: String,
    },
}

/// The crate's error: one or more [`Issue`]s, rendered one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.issues))]
pub struct ConfigError {
    issues: Vec<Issue>,
}

fn render(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    /// An error made of these issues. An empty list makes an error with no
    /// lines; callers should not build one.
    pub fn from_issues(issues: Vec<Issue>) -> Self {
        ConfigError { issues }
    }

    /// Every problem found, in the order found.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Takes the problems out.
    pub fn into_issues(self) -> Vec<Issue> {
        self.issues
    }

    /// The missing environment variable names, if that is one of the problems.
    pub fn missing_env(&self) -> &[String] {
        self.issues
            .iter()
            .find_map(|issue| match issue {
                Issue::MissingEnv { names } => Some(names.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

impl From<Issue> for ConfigError {
    fn from(issue: Issue) -> Self {
        ConfigError {
            issues: vec![issue],
        }
    }
}

/// `Ok(value)` when `issues` is empty, else the error carrying them.
pub(crate) fn finish<T>(value: T, issues: Vec<Issue>) -> Result<T, ConfigError> {
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(ConfigError::from_issues(issues))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_issue_per_line() {
        let err = ConfigError::from_issues(vec![
            Issue::MissingEnv {
                names: vec!["NEON_API_KEY".into(), "NEON_PROJECT_ID".into()],
            },
            Issue::DatabaseType {
                value: "mysql".into(),
            },
        ]);
        let text = err.to_string();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "Missing required environment variables: NEON_API_KEY, NEON_PROJECT_ID"
        );
        assert!(lines[1].starts_with("unsupported DATABASE_TYPE `mysql`"));
        assert_eq!(err.missing_env(), ["NEON_API_KEY", "NEON_PROJECT_ID"]);
    }

    #[test]
    fn location_renders_line_and_column() {
        let mut loc = Location::file("/a/paddock.toml");
        assert_eq!(loc.to_string(), "/a/paddock.toml");
        loc.line = Some(3);
        assert_eq!(loc.to_string(), "/a/paddock.toml:3");
        loc.column = Some(7);
        assert_eq!(loc.to_string(), "/a/paddock.toml:3:7");
    }
}
