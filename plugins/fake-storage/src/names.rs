//! Validation of container names and object keys, with messages that name
//! the rule broken.

use paddock_sdk::{Error, Result};

/// The container every slot has without creating it, so a fresh slot can
/// store objects at once.
pub const DEFAULT_CONTAINER: &str = "default";

/// Object keys: the WIT's rule (1 to 1024 bytes, no NUL, no `.`/`..`
/// segments) plus no leading `/`, as the brief asks.
pub fn check_key(key: &str) -> Result<()> {
    let bad = |rule: &str| {
        Err(Error::invalid_input(format!(
            "invalid object key '{key}': {rule}"
        )))
    };
    if key.is_empty() {
        return bad("a key must not be empty");
    }
    if key.len() > 1024 {
        return bad("a key must be at most 1024 bytes");
    }
    if key.contains('\0') {
        return bad("a key must not contain NUL");
    }
    if key.starts_with('/') {
        return bad("a key must not start with '/'");
    }
    if key.split('/').any(|seg| seg == "." || seg == "..") {
        return bad("a key must not have '.' or '..' segments between '/'");
    }
    Ok(())
}

/// Container names: 1 to 63 of `a-z 0-9 . _ -`, starting and ending with a
/// letter or digit (S3-like, and never a `/` that would break the key layout).
pub fn check_container(name: &str) -> Result<()> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "invalid container name '{name}': use 1 to 63 lowercase letters, digits, '.', '_' or '-', \
             starting and ending with a letter or digit"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<()>) -> String {
        r.unwrap_err().message().to_owned()
    }

    #[test]
    fn keys() {
        for ok in ["a", "a/b/c.txt", "a//b", "trailing/", "..a/b..", "ü/ß"] {
            check_key(ok).unwrap();
        }
        check_key(&"k".repeat(1024)).unwrap();
        assert!(rule(check_key("")).contains("empty"));
        assert!(rule(check_key(&"k".repeat(1025))).contains("1024"));
        assert!(rule(check_key("a\0b")).contains("NUL"));
        assert!(rule(check_key("/a")).contains("start with '/'"));
        for bad in [".", "..", "a/./b", "a/..", "../a"] {
            assert!(rule(check_key(bad)).contains("segments"), "{bad}");
        }
    }

    #[test]
    fn containers() {
        for ok in ["a", "default", "my-bucket.v2", "x_1"] {
            check_container(ok).unwrap();
        }
        for bad in ["", "-a", "a-", "A", "a/b", "a b", &"a".repeat(64)] {
            assert!(check_container(bad).is_err(), "{bad}");
        }
    }
}
