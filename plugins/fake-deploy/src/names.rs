//! Project and environment variable names, checked with messages that say
//! what is allowed.

use paddock_sdk::{Error, Result};

/// Vercel's rule: up to 100 of `a-z 0-9 . _ -`. It keeps `/` out of the
/// state keys and makes the name usable in a deployment's host name.
pub fn check_project(name: &str) -> Result<()> {
    let ok = (1..=100).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "project name '{name}' is invalid: use 1 to 100 lowercase letters, digits, '.', '_' or '-', \
             starting with a letter or digit"
        )))
    }
}

/// POSIX-style names: a letter or `_`, then letters, digits or `_`.
pub fn check_env_name(name: &str) -> Result<()> {
    if paddock_sdk::names::is_identifier(name, 256) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "environment variable name '{name}' is invalid: use letters, digits and '_', not starting with a digit"
        )))
    }
}

/// A host-name suffix for deployment URLs (the `url_suffix` setting).
pub fn check_suffix(suffix: &str) -> Result<()> {
    let ok = !suffix.is_empty()
        && suffix.len() <= 200
        && suffix.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "setting url_suffix '{suffix}' is not a host name (like fake.paddock.local)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for ok in ["web", "my-app.v2", "a_b", "0x"] {
            check_project(ok).unwrap();
        }
        for bad in ["", "Web", "-a", "a/b", &"a".repeat(101)] {
            assert_eq!(
                check_project(bad).unwrap_err().kind(),
                "invalid-input",
                "{bad}"
            );
        }
        for ok in ["A", "_X", "DATABASE_URL", "a1"] {
            check_env_name(ok).unwrap();
        }
        for bad in ["", "1A", "A-B", "A B"] {
            assert!(check_env_name(bad).is_err(), "{bad}");
        }
        check_suffix("fake.paddock.local").unwrap();
        for bad in ["", "a..b", "-a.b", "a/b", "http://x"] {
            assert!(check_suffix(bad).is_err(), "{bad}");
        }
    }
}
