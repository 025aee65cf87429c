//! [`Environment`]: the variables configuration is resolved against.
//!
//! It is the process environment laid over a `.env` file: a variable set in
//! both keeps the process value. Building one never changes the process
//! environment. Variables whose name or value is not UTF-8 are left out.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Issue, Location};
use crate::paths::absolutize;

/// A snapshot of environment variables: process environment over `.env`.
///
/// `Debug` prints variable names only, never values (they may be secrets).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    dotenv_file: Option<PathBuf>,
}

impl Environment {
    /// Reads the process environment, overlaid on a `.env` file.
    ///
    /// With `dotenv_path` `None`, reads `.env` in the current directory if it
    /// exists (a missing one is fine). A path given explicitly must exist.
    /// A malformed file is an error naming the line.
    pub fn from_process(dotenv_path: Option<&Path>) -> Result<Self, ConfigError> {
        let process: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let cwd = std::env::current_dir().map_err(|e| Issue::ReadFile {
            path: PathBuf::from("."),
            reason: format!("cannot determine the current directory: {e}"),
        })?;
        Self::from_parts(process, dotenv_path, &cwd)
    }

    /// Like [`Environment::from_process`], with the process variables and
    /// working directory given: `process` wins over the `.env` file.
    pub fn from_parts(
        process: BTreeMap<String, String>,
        dotenv_path: Option<&Path>,
        working_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let (path, explicit) = match dotenv_path {
            Some(p) => (absolutize(working_dir, p), true),
            None => (working_dir.join(".env"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Environment {
                    vars: process,
                    dotenv_file: None,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Issue::FileNotFound {
                    path,
                    named_by: "--env-file".to_owned(),
                }
                .into());
            }
            Err(e) => {
                return Err(Issue::ReadFile {
                    path,
                    reason: e.to_string(),
                }
                .into());
            }
        };
        let mut vars = parse_dotenv(&text, &path)?;
        vars.extend(process);
        Ok(Environment {
            vars,
            dotenv_file: Some(path),
        })
    }

    /// Exactly these variables, no `.env` (for tests and embedders).
    pub fn from_map(vars: BTreeMap<String, String>) -> Self {
        Environment {
            vars,
            dotenv_file: None,
        }
    }

    /// The value of `name`, if set (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of `name` if set and not empty. Resolution treats an empty
    /// variable as unset (`DB_DRIVER=` in a `.env` template chooses nothing).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every variable, sorted by name.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `.env` file that was read, if any.
    pub fn dotenv_file(&self) -> Option<&Path> {
        self.dotenv_file.as_deref()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .field("dotenv_file", &self.dotenv_file)
            .finish()
    }
}

/// Parses `.env` text with dotenvy's grammar (`export`, quotes, comments,
/// `$VAR` substitution). Errors name the line, never its content.
fn parse_dotenv(text: &str, path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((k, v)) => {
                vars.insert(k, v);
            }
            Err(dotenvy::Error::LineParse(line, index)) => {
                let (line_no, column) = match text.find(line.as_str()) {
                    Some(start) if !line.is_empty() => {
                        let line_no = text[..start].matches('\n').count() + 1;
                        (Some(line_no), Some(index + 1))
                    }
                    _ => (None, None),
                };
                return Err(Issue::DotEnvSyntax {
                    location: Location {
                        file: path.to_owned(),
                        line: line_no,
                        column,
                    },
                }
                .into());
            }
            Err(e) => {
                return Err(Issue::ReadFile {
                    path: path.to_owned(),
                    reason: e.to_string(),
                }
                .into());
            }
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn process_env_wins_over_dotenv() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "# comment\nDB_DRIVER=neon\nexport NEON_API_KEY='k-123'\nONLY_FILE=\"yes\"\n",
        )
        .unwrap();
        let env =
            Environment::from_parts(map(&[("DB_DRIVER", "sqlite")]), None, dir.path()).unwrap();
        assert_eq!(env.get("DB_DRIVER"), Some("sqlite"));
        assert_eq!(env.get("NEON_API_KEY"), Some("k-123"));
        assert_eq!(env.get("ONLY_FILE"), Some("yes"));
        assert_eq!(env.dotenv_file(), Some(dir.path().join(".env").as_path()));
    }

    #[test]
    fn missing_implicit_dotenv_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment::from_parts(map(&[("A", "1")]), None, dir.path()).unwrap();
        assert_eq!(env.vars().collect::<Vec<_>>(), [("A", "1")]);
        assert_eq!(env.dotenv_file(), None);
    }

    #[test]
    fn missing_explicit_dotenv_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Environment::from_parts(BTreeMap::new(), Some(Path::new("prod.env")), dir.path())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("prod.env not found"), "{text}");
        assert!(text.contains("--env-file"), "{text}");
    }

    #[test]
    fn malformed_dotenv_names_the_line_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "A=1\n\nB C=hunter2\n").unwrap();
        let err = Environment::from_parts(BTreeMap::new(), None, dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("{}:3:", path.display())), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn debug_hides_values() {
        let env = Environment::from_map(map(&[("SECRET", "hunter2")]));
        let text = format!("{env:?}");
        assert!(text.contains("SECRET"));
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn empty_values_count_as_unset_for_non_empty() {
        let env = Environment::from_map(map(&[("DB_DRIVER", "")]));
        assert_eq!(env.get("DB_DRIVER"), Some(""));
        assert_eq!(env.non_empty("DB_DRIVER"), None);
    }
}
