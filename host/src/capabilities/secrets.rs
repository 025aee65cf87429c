//! Secrets that never enter guest memory. A driver names a secret with a
//! placeholder in a request header (`Authorization: Bearer
//! {{secret:VERCEL_TOKEN}}`); the HTTP hook substitutes the value on the way
//! out, only for secrets the driver asks for *and* the slot grants, and only
//! on requests to the origins the secret is bound to: its `secret_hosts`
//! grant, else the slot's `http` grant. A placeholder anywhere but a header
//! is refused, so it cannot be smuggled to a host in a URL. A driver reads a
//! value in plain text only through `reveal`, for secrets the operator lists
//! in the slot's `reveal` grant.
//!
//! Sources, highest first: the process environment, the `.env` file, the
//! encrypted vault ([`super::vault`]). Every value the daemon knows is
//! scrubbed from its logs and error texts, also in base64 and URL-encoded
//! form ([`scrub`]).

use super::net_policy::HttpAllowlist;
use base64::Engine as _;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

const OPEN: &str = "{{secret:";
const CLOSE: &str = "}}";

/// One lent secret.
#[derive(Debug, Clone)]
struct Lent {
    value: String,
    /// Narrower origins than the slot's, from `secret_hosts`.
    hosts: Option<HttpAllowlist>,
    /// Whether `reveal` may hand it to the driver.
    reveal: bool,
}

/// Where a request goes, for [`SlotSecrets::value_for`].
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The host name or literal address.
    pub host: &'a str,
    /// The port.
    pub port: u16,
}

/// The secrets one slot may use.
#[derive(Debug, Clone, Default)]
pub struct SlotSecrets {
    slot: String,
    lent: BTreeMap<String, Lent>,
}

impl SlotSecrets {
    /// The secrets both requested and granted, with their values from
    /// `sources`. A granted secret that is not set is reported, not silently
    /// dropped.
    pub fn new(
        slot: &str,
        requested: &Requested<'_>,
        grants: &paddock_config::Grants,
        sources: &paddock_config::Environment,
    ) -> Result<Self, String> {
        let mut lent = BTreeMap::new();
        let mut missing = Vec::new();
        for name in requested
            .secrets
            .iter()
            .filter(|n| grants.secrets.contains(n))
        {
            let Some(value) = sources.non_empty(name) else {
                missing.push(name.clone());
                continue;
            };
            register(value);
            let hosts = match grants.secret_hosts.get(name) {
                Some(origins) => Some(
                    HttpAllowlist::new(requested.http, origins)
                        .map_err(|e| format!("secret_hosts.{name}: {e}"))?,
                ),
                None => None,
            };
            lent.insert(
                name.clone(),
                Lent {
                    value: value.to_string(),
                    hosts,
                    reveal: grants.reveal.contains(name),
                },
            );
        }
        if !missing.is_empty() {
            return Err(format!(
                "Missing required environment variables: {}",
                missing.join(", ")
            ));
        }
        Ok(SlotSecrets {
            slot: slot.to_string(),
            lent,
        })
    }

    /// The secrets requested and granted that `sources` does not set, in
    /// request order (reported with missing settings, in one message).
    pub fn missing(
        requested: &Requested<'_>,
        grants: &paddock_config::Grants,
        sources: &paddock_config::Environment,
    ) -> Vec<String> {
        requested
            .secrets
            .iter()
            .filter(|n| grants.secrets.contains(n) && sources.non_empty(n).is_none())
            .cloned()
            .collect()
    }

    /// The value of `name` for a request to `to` (which already passed the
    /// slot's HTTP policy); the reason, naming the grant, when not lent there.
    pub fn value_for(&self, name: &str, to: Destination<'_>) -> Result<&str, String> {
        let slot = &self.slot;
        let lent = self.lent.get(name).ok_or_else(|| {
            format!(
                "secret '{name}' is not lent to slot '{slot}': the driver must ask for it and the slot grant it ([slots.{slot}.grants] secrets = [\"{name}\"])"
            )
        })?;
        if let Some(hosts) = &lent.hosts
            && hosts.check(to.scheme, to.host, to.port).is_err()
        {
            return Err(format!(
                "secret '{name}' is not bound to {}://{}:{} (its [slots.{slot}.grants] secret_hosts entry does not name that origin)",
                to.scheme, to.host, to.port
            ));
        }
        Ok(&lent.value)
    }

    /// The value of `name` in plain text, for the driver itself.
    pub fn reveal(&self, name: &str) -> Result<&str, String> {
        let slot = &self.slot;
        match self.lent.get(name) {
            Some(lent) if lent.reveal => Ok(&lent.value),
            Some(_) => Err(format!(
                "secret '{name}' may not be revealed to the driver of slot '{slot}': use a {{{{secret:{name}}}}} header placeholder, or grant it with [slots.{slot}.grants] reveal = [\"{name}\"]"
            )),
            None => Err(format!(
                "secret '{name}' is not lent to slot '{slot}': the driver must ask for it and the slot grant it ([slots.{slot}.grants] secrets = [\"{name}\"], reveal = [\"{name}\"])"
            )),
        }
    }

    /// Replaces every placeholder in a header value of a request to `to`;
    /// the reason when a placeholder names a secret not lent there.
    pub fn substitute(&self, value: &str, to: Destination<'_>) -> Result<String, String> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find(OPEN) {
            out.push_str(&rest[..start]);
            let after = &rest[start + OPEN.len()..];
            let end = after
                .find(CLOSE)
                .ok_or_else(|| "an unclosed {{secret:…}} placeholder".to_string())?;
            out.push_str(self.value_for(&after[..end], to)?);
            rest = &after[end + CLOSE.len()..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// What a driver's manifest asks for that bears on secrets.
#[derive(Debug, Clone, Copy)]
pub struct Requested<'a> {
    /// `capabilities.secrets`.
    pub secrets: &'a [String],
    /// `capabilities.http`.
    pub http: &'a [String],
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

/// `paddock:driver/secrets`: `reveal`, the one way a value enters the guest.
impl crate::runtime::wit::secrets::Host for crate::runtime::HostState {
    fn reveal(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<String, crate::runtime::wit::types::Error>> {
        let secrets = self.context.http.secrets();
        Ok(match secrets.reveal(&name) {
            Ok(value) => Ok(value.to_string()),
            Err(reason) => {
                tracing::warn!(target: "paddock::capability", slot = %self.context.slot, "{reason}");
                Err(crate::runtime::wit::types::Error::AccessDenied(reason))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO: Destination<'static> = Destination {
        scheme: "https",
        host: "api.example.com",
        port: 443,
    };

    fn slot() -> SlotSecrets {
        let env = paddock_config::Environment::from_map(
            [
                ("API_TOKEN".to_string(), "tok-123456789".to_string()),
                ("OTHER".to_string(), "other-secret-value".to_string()),
                ("NARROW".to_string(), "narrow-secret-value".to_string()),
            ]
            .into(),
        );
        let grants = paddock_config::Grants {
            secrets: vec!["API_TOKEN".into(), "NARROW".into()],
            secret_hosts: [("NARROW".into(), vec!["https://auth.example.com".into()])].into(),
            reveal: vec!["NARROW".into()],
            ..Default::default()
        };
        let requested = Requested {
            secrets: &["API_TOKEN".into(), "OTHER".into(), "NARROW".into()],
            http: &["https://*.example.com".into()],
        };
        SlotSecrets::new("db", &requested, &grants, &env).unwrap()
    }

    #[test]
    fn substitutes_only_lent_secrets() {
        let s = slot();
        assert_eq!(
            s.substitute("Bearer {{secret:API_TOKEN}}", TO).unwrap(),
            "Bearer tok-123456789"
        );
        assert!(
            s.substitute("{{secret:OTHER}}", TO)
                .unwrap_err()
                .contains("secrets = [\"OTHER\"]")
        );
        assert!(s.substitute("{{secret:API_TOKEN", TO).is_err());
        assert_eq!(
            s.substitute("no placeholder", TO).unwrap(),
            "no placeholder"
        );
    }

    #[test]
    fn secret_hosts_narrow_where_a_secret_goes() {
        let s = slot();
        let err = s.substitute("{{secret:NARROW}}", TO).unwrap_err();
        assert!(err.contains("secret_hosts"), "{err}");
        let auth = Destination {
            host: "auth.example.com",
            ..TO
        };
        assert_eq!(
            s.substitute("{{secret:NARROW}}", auth).unwrap(),
            "narrow-secret-value"
        );
    }

    #[test]
    fn reveal_needs_its_own_grant() {
        let s = slot();
        assert_eq!(s.reveal("NARROW").unwrap(), "narrow-secret-value");
        let err = s.reveal("API_TOKEN").unwrap_err();
        assert!(err.contains("reveal = [\"API_TOKEN\"]"), "{err}");
        assert!(!err.contains("tok-123456789"));
        assert!(s.reveal("OTHER").unwrap_err().contains("not lent"));
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
        let grants = paddock_config::Grants {
            secrets: vec!["A".into(), "B".into()],
            ..Default::default()
        };
        let requested = Requested {
            secrets: &["A".into(), "B".into()],
            http: &[],
        };
        let e = SlotSecrets::new("s", &requested, &grants, &env).unwrap_err();
        assert_eq!(e, "Missing required environment variables: A, B");
    }
}
