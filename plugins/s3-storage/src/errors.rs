//! S3's answers that are not successes, as the WIT error cases.
//!
//! The `<Error><Code>` of the body decides; a `HEAD` answer has no body, and
//! a body may be missing or not XML, so the status decides then.

use std::fmt;

use paddock_sdk::Error;
use paddock_sdk::http::{Headers, Response};

use crate::xml;

/// How much of an error body is read.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// The wait suggested when S3 asks to slow down without saying how long.
const DEFAULT_RETRY_MS: u64 = 1000;

/// What a request was about, for messages.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Service,
    Bucket(&'a str),
    Object { bucket: &'a str, key: &'a str },
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Service => f.write_str("the S3 endpoint"),
            Subject::Bucket(b) => write!(f, "bucket '{b}'"),
            Subject::Object { bucket, key } => write!(f, "object '{key}' in bucket '{bucket}'"),
        }
    }
}

/// The error an unsuccessful response stands for (its body read, up to 64 KiB).
pub fn from_response(response: Response, subject: Subject<'_>) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.limit(ERROR_BODY_LIMIT).bytes().unwrap_or_default();
    map(status, &headers, &body, subject)
}

/// The error of an answer with `status`, `headers` and `body`.
pub fn map(status: u16, headers: &Headers, body: &[u8], subject: Subject<'_>) -> Error {
    let doc = xml::error_document(body).unwrap_or_default();
    let code = doc.code.as_deref().unwrap_or("");
    let detail = match (&doc.code, &doc.message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, _) => format!("HTTP {status}"),
    };
    let region_hint = || {
        let region = doc
            .region
            .as_deref()
            .or_else(|| headers.get("x-amz-bucket-region"))
            .map(|r| format!(" (the bucket is in region '{r}')"));
        let endpoint = doc
            .endpoint
            .as_deref()
            .map(|e| format!(" (S3 names the endpoint '{e}')"));
        region.or(endpoint).unwrap_or_default()
    };
    match (code, status) {
        ("NoSuchBucket", _) => Error::not_found(match subject {
            Subject::Object { bucket, .. } | Subject::Bucket(bucket) => {
                format!("bucket '{bucket}' does not exist: create it with create-container")
            }
            Subject::Service => format!("the bucket does not exist ({detail})"),
        }),
        ("NoSuchKey", _) => Error::not_found(format!("{subject} does not exist")),
        ("NoSuchUpload", _) => Error::not_found(format!(
            "the multipart upload of {subject} no longer exists (aborted or completed meanwhile)"
        )),
        ("NotFound", _) | ("", 404) => Error::not_found(match subject {
            Subject::Object { .. } => format!("{subject} does not exist (or its bucket does not)"),
            _ => format!("{subject} does not exist"),
        }),
        (
            "AccessDenied"
            | "SignatureDoesNotMatch"
            | "InvalidAccessKeyId"
            | "NotSignedUp"
            | "InvalidToken"
            | "ExpiredToken"
            | "TokenRefreshRequired"
            | "AllAccessDisabled"
            | "AccountProblem"
            | "InvalidSecurity"
            | "MissingSecurityHeader",
            _,
        )
        | ("", 401 | 403) => Error::access_denied(format!(
            "S3 refused access to {subject} ({detail}): check the credentials granted to the \
             slot (secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), their permissions, \
             and the slot's region setting"
        )),
        ("BucketAlreadyOwnedByYou", _) => {
            Error::already_exists(format!("{subject} already exists and is yours"))
        }
        ("BucketAlreadyExists", _) => Error::already_exists(format!(
            "{subject} already exists and belongs to another account: bucket names are global, pick another"
        )),
        ("BucketNotEmpty", _) => not_empty(subject),
        (
            "PreconditionFailed"
            | "OperationAborted"
            | "ConditionalRequestConflict"
            | "BadDigest"
            | "XAmzContentSHA256Mismatch"
            | "InvalidObjectState",
            _,
        )
        | ("", 409 | 412) => {
            Error::conflict(format!("S3 refused the change to {subject}: {detail}"))
        }
        (
            "QuotaExceeded"
            | "TooManyBuckets"
            | "EntityTooLarge"
            | "MetadataTooLarge"
            | "MaxMessageLengthExceeded",
            _,
        )
        | ("", 413) => Error::quota_exceeded(format!("S3 refused {subject}: {detail}")),
        ("NotImplemented", _) | ("", 501) => Error::unsupported(format!(
            "the S3 server does not support this for {subject}: {detail}"
        )),
        ("SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout", _)
        | ("", 429 | 500..=599) => Error::unavailable(
            format!("S3 could not serve {subject} now ({detail}); try again later"),
            Some(retry_after_ms(headers).unwrap_or(DEFAULT_RETRY_MS)),
        ),
        (
            "PermanentRedirect"
            | "TemporaryRedirect"
            | "AuthorizationHeaderMalformed"
            | "IllegalLocationConstraintException"
            | "InvalidLocationConstraint",
            _,
        )
        | ("", 301 | 307) => Error::invalid_input(format!(
            "{subject} must be reached through another endpoint or region{} ({detail}): \
             set the slot's region (and endpoint) settings to the bucket's",
            region_hint()
        )),
        (
            "InvalidArgument"
            | "InvalidRange"
            | "KeyTooLongError"
            | "KeyTooLong"
            | "InvalidBucketName"
            | "InvalidPart"
            | "InvalidPartOrder"
            | "EntityTooSmall"
            | "MalformedXML"
            | "InvalidDigest"
            | "InvalidRequest"
            | "InvalidStorageClass"
            | "MissingContentLength"
            | "IncompleteBody"
            | "UnexpectedContent",
            _,
        )
        | ("", 400 | 411 | 416) => {
            Error::invalid_input(format!("S3 refused the request for {subject}: {detail}"))
        }
        _ => Error::vendor(
            if code.is_empty() {
                status.to_string()
            } else {
                code.to_owned()
            },
            format!("S3 answered {status} for {subject}: {detail}"),
        ),
    }
}

/// A bucket that cannot be deleted because it is not empty.
pub fn not_empty(subject: Subject<'_>) -> Error {
    Error::conflict(format!(
        "{subject} still holds objects (or unfinished uploads): delete them first"
    ))
}

/// `Retry-After` in seconds, as milliseconds.
fn retry_after_ms(headers: &Headers) -> Option<u64> {
    let secs: u64 = headers.get("retry-after")?.trim().parse().ok()?;
    Some(secs.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJ: Subject<'static> = Subject::Object {
        bucket: "photos",
        key: "a.jpg",
    };

    fn doc(code: &str) -> Vec<u8> {
        format!("<Error><Code>{code}</Code><Message>why</Message></Error>").into_bytes()
    }

    fn kind(status: u16, body: &[u8]) -> &'static str {
        map(status, &Headers::new(), body, OBJ).kind()
    }

    #[test]
    fn codes_decide() {
        for (code, status, want) in [
            ("NoSuchKey", 404, "not-found"),
            ("NoSuchBucket", 404, "not-found"),
            ("NoSuchUpload", 404, "not-found"),
            ("AccessDenied", 403, "access-denied"),
            ("SignatureDoesNotMatch", 403, "access-denied"),
            ("InvalidAccessKeyId", 403, "access-denied"),
            ("NotSignedUp", 403, "access-denied"),
            ("SlowDown", 503, "unavailable"),
            ("InternalError", 500, "unavailable"),
            ("QuotaExceeded", 403, "quota-exceeded"),
            ("TooManyBuckets", 400, "quota-exceeded"),
            ("EntityTooLarge", 400, "quota-exceeded"),
            ("InvalidArgument", 400, "invalid-input"),
            ("InvalidRange", 416, "invalid-input"),
            ("KeyTooLongError", 400, "invalid-input"),
            ("BucketAlreadyOwnedByYou", 409, "already-exists"),
            ("BucketAlreadyExists", 409, "already-exists"),
            ("BucketNotEmpty", 409, "conflict"),
            ("PreconditionFailed", 412, "conflict"),
            ("PermanentRedirect", 301, "invalid-input"),
            ("NotImplemented", 501, "unsupported"),
            ("InvalidTag", 400, "vendor"),
        ] {
            assert_eq!(kind(status, &doc(code)), want, "{code}");
        }
        let e = map(400, &Headers::new(), &doc("InvalidTag"), OBJ);
        let Error::Vendor(v) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(v.code, "InvalidTag");
        assert!(v.message.contains("InvalidTag: why"), "{}", v.message);
    }

    #[test]
    fn statuses_decide_without_a_body() {
        for (status, want) in [
            (404, "not-found"),
            (403, "access-denied"),
            (409, "conflict"),
            (412, "conflict"),
            (416, "invalid-input"),
            (400, "invalid-input"),
            (503, "unavailable"),
            (500, "unavailable"),
            (301, "invalid-input"),
            (418, "vendor"),
        ] {
            assert_eq!(kind(status, b""), want, "{status}");
            assert_eq!(kind(status, b"<html>proxy error</html>"), want, "{status}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = map(403, &Headers::new(), &doc("AccessDenied"), OBJ);
        assert!(e.message().contains("credentials granted to the slot"));
        assert!(e.message().contains("object 'a.jpg' in bucket 'photos'"));
        let e = map(404, &Headers::new(), &doc("NoSuchBucket"), OBJ);
        assert!(e.message().contains("bucket 'photos' does not exist"));
        let headers: Headers = [("x-amz-bucket-region", "eu-west-1")].into_iter().collect();
        let e = map(301, &headers, b"", Subject::Bucket("photos"));
        assert!(e.message().contains("'eu-west-1'"), "{}", e.message());
    }

    #[test]
    fn slow_down_carries_a_retry_hint() {
        let retry = |headers: Headers, body: &[u8]| match map(503, &headers, body, OBJ) {
            Error::Unavailable(u) => u.retry_after_ms,
            e => panic!("{e:?}"),
        };
        assert_eq!(retry(Headers::new(), &doc("SlowDown")), Some(1000));
        let headers: Headers = [("Retry-After", "3")].into_iter().collect();
        assert_eq!(retry(headers, &doc("SlowDown")), Some(3000));
        let headers: Headers = [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]
            .into_iter()
            .collect();
        assert_eq!(retry(headers, b""), Some(1000));
    }

    #[test]
    fn canned_responses_are_read() {
        let r = Response::from_bytes(404, Headers::new(), doc("NoSuchKey"));
        let e = from_response(r, OBJ);
        assert_eq!(e.kind(), "not-found");
        assert_eq!(
            e.message(),
            "object 'a.jpg' in bucket 'photos' does not exist"
        );
    }
}
