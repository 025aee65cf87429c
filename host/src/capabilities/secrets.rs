//! Secrets that never enter guest memory. A driver names a secret with a
//! placeholder in a request header (`Authorization: Bearer
//! {{secret:VERCEL_TOKEN}}`); the HTTP hook substitutes the value on the way
//! out, only for secrets the driver asks for *and* the slot grants, and only
//! on requests that passed the slot's HTTP policy (a secret is bound to the
//! slot's allowed origins). A placeholder anywhere but a header is refused, so
//! it cannot be smuggled to a host in a URL.
//!
//! Sources: the process environment and the `.env` file (the environment
//! wins). Every value the daemon knows is scrubbed from its logs and error
//! texts, also in base64 and URL-encoded form ([`scrub`]).

use base64::Engine as _;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

const OPEN: &str = "{{secret:";
const CLOSE: &str = "}}";

/// The secrets one slot may use.
#[derive(Debug, Clone, Default)]
pub struct SlotSecrets {
    slot: String,
    values: BTreeMap<String, String>,
}

impl SlotSecrets {
    /// The secrets both requested and granted, with their values from `env`.
    /// A granted secret that is not set is reported, not silently dropped.
    pub fn new(
        slot: &str,
        requested: &[String],
        granted: &[String],
        env: &paddock_config::Environment,
    ) -> Result<Self, String> {
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for name in requested.iter().filter(|n| granted.contains(n)) {
            match env.non_empty(name) {
                Some(v) => {
                    register(v);
                    values.insert(name.clone(), v.to_string());
                }
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "Missing required environment variables: {}",
                missing.join(", ")
            ));
        }
        Ok(SlotSecrets {
            slot: slot.to_string(),
            values,
        })
    }

    /// Replaces every placeholder in a header value; the reason when a
    /// placeholder names a secret this slot may not use.
    pub fn substitute(&self, value: &str) -> Result<String, String> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find(OPEN) {
            out.push_str(&rest[..start]);
            let after = &rest[start + OPEN.len()..];
            let end = after
                .find(CLOSE)
                .ok_or_else(|| "an unclosed {{secret:…}} placeholder".to_string())?;
            let name = &after[..end];
            let secret = self.values.get(name).ok_or_else(|| {
                format!(
                    "secret '{name}' is not lent to slot '{}': the driver must ask for it and the slot grant it ([slots.{}.grants] secrets = [\"{name}\"])",
                    self.slot, self.slot
                )
            })?;
            out.push_str(secret);
            rest = &after[end + CLOSE.len()..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Whether `text` holds a placeholder, raw or percent-encoded.
pub fn has_placeholder(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains(OPEN) || lower.contains("%7b%7bsecret") || lower.contains("%7b%7bsecret%3a")
}

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Adds a secret value (and its encodings) to what [`scrub`] removes.
pub fn register(value: &str) {
    if value.len() < 4 {
        return; // too short to scrub without mangling ordinary text
    }
    let forms = [
        value.to_string(),
        base64::engine::general_purpose::STANDARD.encode(value),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value),
        serde_urlencoded::to_string([("", value)])
            .unwrap_or_default()
            .trim_start_matches('=')
            .to_string(),
    ];
    let mut known = KNOWN.write().unwrap();
    for form in forms {
        if !form.is_empty() && !known.contains(&form) {
            known.push(form);
        }
    }
    // Longest first, so a value is removed before a shorter form inside it.
    known.sort_by_key(|f| std::cmp::Reverse(f.len()));
}

/// `text` with every known secret value, in any registered form, replaced by `[redacted]`.
pub fn scrub(text: &str) -> std::borrow::Cow<'_, str> {
    let known = KNOWN.read().unwrap();
    if !known.iter().any(|f| text.contains(f.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for form in known.iter() {
        out = out.replace(form.as_str(), "[redacted]");
    }
    std::borrow::Cow::Owned(out)
}

/// A log writer that scrubs every line before it reaches stderr.
#[derive(Clone, Default)]
pub struct ScrubbingWriter;

impl std::io::Write for ScrubbingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ScrubbingWriter {
    type Writer = ScrubbingWriter;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter
    }
}

/// Shared, so every store of a slot sees the same set.
pub type SharedSecrets = Arc<SlotSecrets>;

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> SlotSecrets {
        let env = paddock_config::Environment::from_map(
            [
                ("API_TOKEN".to_string(), "tok-123456789".to_string()),
                ("OTHER".to_string(), "other-secret-value".to_string()),
            ]
            .into(),
        );
        SlotSecrets::new(
            "db",
            &["API_TOKEN".into(), "OTHER".into()],
            &["API_TOKEN".into()],
            &env,
        )
        .unwrap()
    }

    #[test]
    fn substitutes_only_lent_secrets() {
        let s = slot();
        assert_eq!(
            s.substitute("Bearer {{secret:API_TOKEN}}").unwrap(),
            "Bearer tok-123456789"
        );
        assert!(
            s.substitute("{{secret:OTHER}}")
                .unwrap_err()
                .contains("secrets = [\"OTHER\"]")
        );
        assert!(s.substitute("{{secret:API_TOKEN").is_err());
        assert_eq!(s.substitute("no placeholder").unwrap(), "no placeholder");
    }

    #[test]
    fn placeholders_are_found_encoded() {
        assert!(has_placeholder("/x?t={{secret:A}}"));
        assert!(has_placeholder("/x?t=%7B%7Bsecret%3AA%7D%7D"));
        assert!(!has_placeholder("/x?t=secret"));
    }

    #[test]
    fn scrubs_values_in_every_form() {
        let _ = slot();
        let b64 = base64::engine::general_purpose::STANDARD.encode("tok-123456789");
        let text = format!("a tok-123456789 b {b64} c");
        let out = scrub(&text);
        assert!(
            !out.contains("tok-123456789") && !out.contains(&b64),
            "{out}"
        );
        assert!(out.contains("[redacted]"));
    }

    #[test]
    fn missing_granted_secrets_are_reported_together() {
        let env = paddock_config::Environment::from_map(Default::default());
        let e = SlotSecrets::new(
            "s",
            &["A".into(), "B".into()],
            &["A".into(), "B".into()],
            &env,
        )
        .unwrap_err();
        assert_eq!(e, "Missing required environment variables: A, B");
    }
}
