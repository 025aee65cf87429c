//! Checks on what callers pass, made before anything is sent, with messages
//! that name the rule broken.

use paddock_sdk::storage::PutOptions;
use paddock_sdk::{Error, Result};

/// Object keys, as the WIT says: 1 to 1024 bytes of UTF-8, no NUL, no `.` or
/// `..` segments between `/`.
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
    if key.split('/').any(|seg| seg == "." || seg == "..") {
        return bad("a key must not have '.' or '..' segments between '/'");
    }
    Ok(())
}

/// Bucket names, loosely: 1 to 255 of `A-Z a-z 0-9 . _ -`, so that a name
/// can never change the shape of a URL. The server applies its own naming
/// rules (S3: 3 to 63 of `a-z 0-9 . -`) and answers `InvalidBucketName`,
/// which becomes `invalid-input`.
pub fn check_bucket(name: &str) -> Result<()> {
    let ok = (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "invalid bucket name '{name}': S3 bucket names are 3 to 63 characters of \
             lowercase letters, digits, '.' and '-'"
        )))
    }
}

/// `content-type` and user metadata as S3 takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    /// Lowercase names (S3 stores and returns them lowercase), in the order given.
    pub metadata: Vec<(String, String)>,
}

/// Checks `put`'s options. S3 keeps user metadata as `x-amz-meta-<name>`
/// headers, which are signed and must be ASCII (non-ASCII would need RFC 2047
/// encoding, which S3 hands back encoded); names are case-insensitive, and
/// whitespace around a value would be lost in transit.
pub fn object_headers(options: &PutOptions) -> Result<ObjectHeaders> {
    let printable = |v: &str| v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
    if let Some(ct) = &options.content_type
        && (ct.trim().is_empty() || !printable(ct))
    {
        return Err(Error::invalid_input(format!(
            "content-type '{ct}' must be non-empty printable ASCII"
        )));
    }
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let mut metadata: Vec<(String, String)> = Vec::with_capacity(options.metadata.len());
    for (name, value) in &options.metadata {
        if name.is_empty() || !name.bytes().all(token) {
            return Err(Error::invalid_input(format!(
                "metadata name '{name}' must be letters, digits and - _ . (an HTTP header name)"
            )));
        }
        if !printable(value) || value.trim() != value {
            return Err(Error::invalid_input(format!(
                "metadata '{name}' must be printable ASCII without leading or trailing \
                 whitespace: S3 keeps metadata in HTTP headers"
            )));
        }
        let lower = name.to_ascii_lowercase();
        if metadata.iter().any(|(n, _)| *n == lower) {
            return Err(Error::invalid_input(format!(
                "metadata name '{name}' is given twice: S3 metadata names ignore case"
            )));
        }
        metadata.push((lower, value.clone()));
    }
    Ok(ObjectHeaders {
        content_type: options.content_type.clone(),
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_wit_rules() {
        for good in [
            "a",
            "a/b/c.txt",
            "/lead",
            "dir/",
            "ü ñ+%?#",
            &"k".repeat(1024),
        ] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for bad in ["", "a/./b", "../x", "a/..", "nul\0", &"k".repeat(1025)] {
            assert_eq!(check_key(bad).unwrap_err().kind(), "invalid-input", "{bad}");
        }
    }

    #[test]
    fn bucket_names_cannot_reshape_urls() {
        for good in ["photos", "my.bucket-1", "Legacy_Bucket"] {
            assert!(check_bucket(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "a?b", "a b", "a%2F", "ü", &"b".repeat(256)] {
            assert_eq!(
                check_bucket(bad).unwrap_err().kind(),
                "invalid-input",
                "{bad}"
            );
        }
    }

    #[test]
    fn metadata_is_ascii_with_lowercase_names() {
        let opts = |ct: Option<&str>, meta: &[(&str, &str)]| PutOptions {
            content_type: ct.map(str::to_owned),
            metadata: meta
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let h = object_headers(&opts(
            Some("text/plain"),
            &[("Color", "dark red"), ("x_1", "")],
        ))
        .unwrap();
        assert_eq!(h.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            h.metadata,
            [
                ("color".into(), "dark red".into()),
                ("x_1".into(), "".into())
            ]
        );
        for bad in [
            opts(Some("tëxt/plain"), &[]),
            opts(Some(" "), &[]),
            opts(None, &[("a b", "v")]),
            opts(None, &[("", "v")]),
            opts(None, &[("a", "ü")]),
            opts(None, &[("a", "line\nbreak")]),
            opts(None, &[("a", " padded")]),
            opts(None, &[("A", "1"), ("a", "2")]),
        ] {
            assert_eq!(
                object_headers(&bad).unwrap_err().kind(),
                "invalid-input",
                "{bad:?}"
            );
        }
    }
}
