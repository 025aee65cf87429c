//! Validation of object keys and container names, with messages that name
//! the rule broken and the allowed set.

use paddock_sdk::{Error, Result};

/// The longest key, in bytes (the WIT's limit).
pub const MAX_KEY_BYTES: usize = 1024;

const KEY_RULES: &str = "keys are 1 to 1024 bytes of UTF-8 without control characters or '\\', \
     made of non-empty segments between '/' that are not '.' or '..'";

/// Object keys: the WIT's rule (1 to 1024 bytes, no NUL, no `.`/`..`
/// segments) plus what a key must satisfy to be a path on disk: no leading
/// `/`, no empty segment (`a//b`, `a/`), no `\` (a separator on some
/// systems) and no control characters.
pub fn check_key(key: &str) -> Result<()> {
    let bad = |rule: &str| {
        Err(Error::invalid_input(format!(
            "invalid object key {key:?}: {rule}; {KEY_RULES}"
        )))
    };
    if key.is_empty() {
        return bad("it is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return bad(&format!("it is {} bytes long", key.len()));
    }
    if key.contains('\0') {
        return bad("it contains NUL");
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return bad(&format!("it contains the control character {c:?}"));
    }
    if key.contains('\\') {
        return bad("it contains '\\'");
    }
    if key.starts_with('/') {
        return bad("it starts with '/'");
    }
    for seg in key.split('/') {
        match seg {
            "" => return bad("it has an empty segment ('//' or a trailing '/')"),
            "." | ".." => return bad(&format!("it has a '{seg}' segment")),
            _ => {}
        }
    }
    Ok(())
}

/// Container names, as S3 bucket names: 3 to 63 of `a-z 0-9 . -`, starting
/// and ending with a letter or digit, without `..`. Each is a folder name
/// under `/data`, so lowercase-only also keeps names distinct on
/// case-insensitive file systems, and no name starts with `.` (where this
/// driver keeps its own files).
pub fn check_container(name: &str) -> Result<()> {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "invalid container name {name:?}: use 3 to 63 lowercase letters, digits, '.' or '-', \
             starting and ending with a letter or digit, without '..'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<()>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        e.message().to_owned()
    }

    #[test]
    fn keys() {
        for ok in ["a", "a/b/c.txt", "..a/b..", "ü/ß", "A B/c d", "a/.../b"] {
            check_key(ok).unwrap();
        }
        check_key(&"k".repeat(MAX_KEY_BYTES)).unwrap();
        assert!(rule(check_key("")).contains("empty"));
        assert!(rule(check_key(&"k".repeat(1025))).contains("1025 bytes"));
        assert!(rule(check_key("a\0b")).contains("NUL"));
        assert!(rule(check_key("a\nb")).contains("control"));
        assert!(rule(check_key("a\u{7f}")).contains("control"));
        assert!(rule(check_key("a\\b")).contains("'\\'"));
        assert!(rule(check_key("/abs")).contains("starts with '/'"));
        assert!(rule(check_key("a//b")).contains("empty segment"));
        assert!(rule(check_key("a/")).contains("empty segment"));
        for bad in [".", "..", "a/./b", "a/..", "../x"] {
            assert!(rule(check_key(bad)).contains("segment"), "{bad}");
        }
        // The message names the key and the allowed set.
        let m = rule(check_key("../x"));
        assert!(
            m.contains("\"../x\"") && m.contains("1 to 1024 bytes"),
            "{m}"
        );
    }

    #[test]
    fn containers() {
        for ok in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63)] {
            check_container(ok).unwrap();
        }
        for bad in [
            "",
            "ab",
            "-ab",
            "ab-",
            "Abc",
            "a/b",
            "a b",
            "a_b",
            "a..b",
            ".abc",
            &"a".repeat(64),
        ] {
            assert!(rule(check_container(bad)).contains("3 to 63"), "{bad}");
        }
    }
}
