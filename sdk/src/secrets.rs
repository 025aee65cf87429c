//! Secrets. Most drivers never hold a secret's value: they put a
//! `{{secret:NAME}}` placeholder in a request header ([`placeholder`]) and the
//! host fills it in on the way out, or ask the host to sign the request
//! ([`aws_sigv4_header`]). [`reveal`] hands over the value itself, and works
//! only when the operator grants `reveal` for that secret.

use crate::Result;
use crate::bindings::common::paddock::driver::secrets as host;

/// The header placeholder for secret `name`: `{{secret:NAME}}`.
pub fn placeholder(name: &str) -> String {
    format!("{{{{secret:{name}}}}}")
}

/// The name of the header that asks the host for an AWS SigV4 signature.
pub const SIGN_HEADER: &str = "x-paddock-sign";

/// The value of [`SIGN_HEADER`] asking the host to sign with the secrets
/// named `access_key_id` and `secret_access_key`. The driver also sets
/// `x-amz-content-sha256` (the body's hex SHA-256, or `UNSIGNED-PAYLOAD`).
pub fn aws_sigv4_header(
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    service: &str,
) -> String {
    format!(
        "aws-sigv4; access-key-id={access_key_id}; secret-access-key={secret_access_key}; region={region}; service={service}"
    )
}

/// The value of a secret the operator lets this driver read in plain text;
/// `access-denied` naming the grant to add otherwise.
pub fn reveal(name: &str) -> Result<String> {
    host::reveal(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_placeholders_and_sign_requests() {
        assert_eq!(placeholder("TOKEN"), "{{secret:TOKEN}}");
        assert_eq!(
            aws_sigv4_header("A", "B", "us-east-1", "s3"),
            "aws-sigv4; access-key-id=A; secret-access-key=B; region=us-east-1; service=s3"
        );
    }
}
