//! AWS Signature Version 4, done by the host so an S3 driver never holds the
//! secret key.
//!
//! A driver asks for a signature with one request header:
//!
//! ```text
//! x-paddock-sign: aws-sigv4; access-key-id=AWS_ACCESS_KEY_ID; secret-access-key=AWS_SECRET_ACCESS_KEY; region=us-east-1; service=s3
//! ```
//!
//! (`session-token=NAME` is optional). The names are secrets: each must be
//! lent to the slot for the request's origin, exactly as for a
//! `{{secret:NAME}}` placeholder. The host removes the header, then signs the
//! request as it will be sent: `host` and every header the driver set except
//! the hop-by-hop and length ones, with the payload hash the driver put in
//! `x-amz-content-sha256` (the hex SHA-256 of the body, or
//! `UNSIGNED-PAYLOAD` for a streamed one). It adds `x-amz-date`,
//! `authorization` and, with a session token, `x-amz-security-token`.

use super::secrets::{Destination, SlotSecrets};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::SystemTime;

/// The header a driver sets to have its request signed.
pub const SIGN_HEADER: &str = "x-paddock-sign";

/// Headers never signed: the transport may change or add them.
const UNSIGNED: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "user-agent",
    "accept-encoding",
    "authorization",
];

/// What a driver's [`SIGN_HEADER`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SignRequest {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    region: String,
    service: String,
}

fn parse(header: &str) -> Result<SignRequest, String> {
    let bad = |why: &str| {
        format!(
            "{SIGN_HEADER} is malformed ({why}); write `aws-sigv4; access-key-id=NAME; secret-access-key=NAME; region=REGION; service=SERVICE`"
        )
    };
    let mut parts = header.split(';').map(str::trim);
    if parts.next() != Some("aws-sigv4") {
        return Err(bad("the only scheme is aws-sigv4"));
    }
    let (mut id, mut key, mut token, mut region, mut service) = (None, None, None, None, None);
    for part in parts.filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("expected key=value"))?;
        let slot = match k.trim() {
            "access-key-id" => &mut id,
            "secret-access-key" => &mut key,
            "session-token" => &mut token,
            "region" => &mut region,
            "service" => &mut service,
            other => return Err(bad(&format!("unknown key `{other}`"))),
        };
        *slot = Some(v.trim().to_string());
    }
    Ok(SignRequest {
        access_key_id: id.ok_or_else(|| bad("access-key-id is missing"))?,
        secret_access_key: key.ok_or_else(|| bad("secret-access-key is missing"))?,
        session_token: token,
        region: region.ok_or_else(|| bad("region is missing"))?,
        service: service.ok_or_else(|| bad("service is missing"))?,
    })
}

/// Signs `parts` in place when the driver asked for it; the reason, naming
/// the missing grant, when it may not be signed.
pub fn apply(
    parts: &mut http::request::Parts,
    secrets: &SlotSecrets,
    to: Destination<'_>,
) -> Result<(), String> {
    let Some(header) = parts.headers.remove(SIGN_HEADER) else {
        return Ok(());
    };
    let request = parse(
        header
            .to_str()
            .map_err(|_| format!("{SIGN_HEADER} is not text"))?,
    )?;
    let lend = |name: &str| {
        secrets
            .value_for(name, to)
            .map_err(|reason| format!("AWS SigV4 signing denied: {reason}"))
    };
    let credentials = Credentials::new(
        lend(&request.access_key_id)?,
        lend(&request.secret_access_key)?,
        request
            .session_token
            .as_deref()
            .map(lend)
            .transpose()?
            .map(str::to_string),
        None,
        "paddock-secrets",
    );
    let identity: Identity = credentials.into();
    let mut settings = SigningSettings::default();
    if request.service == "s3" {
        // S3 signs the path as sent: no normalisation, no double encoding.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&request.region)
        .name(&request.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| format!("AWS SigV4 signing failed: {e}"))?
        .into();
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match payload.as_deref() {
        Some("UNSIGNED-PAYLOAD") | None => SignableBody::UnsignedPayload,
        Some(hash) => SignableBody::Precomputed(hash.to_string()),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in parts.headers.iter() {
        if UNSIGNED.contains(&name.as_str()) {
            continue;
        }
        match value.to_str() {
            Ok(text) => headers.push((name.to_string(), text.to_string())),
            // S3 refuses unsigned x-amz-* headers; say why here instead.
            Err(_) if name.as_str().starts_with("x-amz-") => {
                return Err(format!(
                    "AWS SigV4 signing failed: header {name} is not ASCII text and cannot be signed"
                ));
            }
            Err(_) => {}
        }
    }
    let uri = parts.uri.to_string();
    let signable = SignableRequest::new(
        parts.method.as_str(),
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .map_err(|e| format!("AWS SigV4 signing failed: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("AWS SigV4 signing failed: {e}"))?
        .into_parts();
    for (name, value) in instructions.headers() {
        let mut value = http::HeaderValue::from_str(value)
            .map_err(|_| "AWS SigV4 produced a header that is not valid".to_string())?;
        value.set_sensitive(true);
        parts.headers.insert(
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| "AWS SigV4 produced a bad header name".to_string())?,
            value,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_header() {
        let r =
            parse("aws-sigv4; access-key-id=A; secret-access-key=B; region=eu-west-1; service=s3")
                .unwrap();
        assert_eq!(r.access_key_id, "A");
        assert_eq!(r.secret_access_key, "B");
        assert_eq!(r.region, "eu-west-1");
        assert_eq!(r.session_token, None);
        assert!(
            parse("aws-sigv2; region=x")
                .unwrap_err()
                .contains("aws-sigv4")
        );
        assert!(
            parse("aws-sigv4; access-key-id=A; region=r; service=s3")
                .unwrap_err()
                .contains("secret-access-key is missing")
        );
    }

    fn lent(names: &[&str]) -> SlotSecrets {
        let env = paddock_config::Environment::from_map(
            [
                ("KEY_ID".to_string(), "AKIDEXAMPLE".to_string()),
                (
                    "SECRET".to_string(),
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
                ),
            ]
            .into(),
        );
        let all: Vec<String> = ["KEY_ID", "SECRET"].map(String::from).to_vec();
        let grants = paddock_config::Grants {
            secrets: names.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let requested = super::super::secrets::Requested {
            secrets: &all,
            http: &[],
        };
        SlotSecrets::new("storage", &requested, &grants, &env).unwrap()
    }

    const TO: Destination<'static> = Destination {
        scheme: "http",
        host: "127.0.0.1",
        port: 9000,
    };

    fn request() -> http::request::Parts {
        let (parts, ()) = http::Request::put("http://127.0.0.1:9000/bucket/a%20b.txt")
            .header(
                SIGN_HEADER,
                "aws-sigv4; access-key-id=KEY_ID; secret-access-key=SECRET; region=us-east-1; service=s3",
            )
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .header("content-length", "3")
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn signs_with_lent_secrets_only() {
        let mut parts = request();
        apply(&mut parts, &lent(&["KEY_ID", "SECRET"]), TO).unwrap();
        let auth = parts.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"),
            "{auth}"
        );
        assert!(!auth.contains("wJalrXUtnFEMI"));
        assert!(parts.headers.contains_key("x-amz-date"));
        assert!(!parts.headers.contains_key(SIGN_HEADER));

        let mut parts = request();
        let err = apply(&mut parts, &lent(&["KEY_ID"]), TO).unwrap_err();
        assert!(
            err.contains("signing denied") && err.contains("'SECRET'"),
            "{err}"
        );
        assert!(!parts.headers.contains_key("authorization"));
    }
}
