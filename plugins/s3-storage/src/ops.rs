//! The S3 operations the driver uses, built as the Smithy model
//! (`com.amazonaws.s3`) binds them: method, URI pattern with its constant
//! query (`?x-id=PutObject`, `?uploads`, `?list-type=2`), headers and query
//! parameters. Building is separate from sending, so the requests are
//! unit-tested natively.
//!
//! Every request carries [`SIGN_HEADER`] (the host signs it with AWS SigV4
//! and removes it) and `x-amz-content-sha256`: the hex SHA-256 of the body,
//! which the driver always holds in memory (small objects, parts, XML).

use paddock_sdk::http::{Request, query_string};
use sha2::{Digest, Sha256};

use crate::config::{Config, SIGN_HEADER};
use crate::names::ObjectHeaders;
use crate::xml;

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Asks the host to sign `request`, whose body hashes to `payload_sha256`.
fn signed<'a>(cfg: &Config, request: Request<'a>, payload_sha256: &str) -> Request<'a> {
    request
        .header(SIGN_HEADER, cfg.sign_header())
        .header("x-amz-content-sha256", payload_sha256)
}

/// A request without a body.
fn bare(cfg: &Config, request: Request<'static>) -> Request<'static> {
    signed(cfg, request, &sha256_hex(b""))
}

/// A request whose body is `body`, borrowed (no copy) while it is sent.
fn with_body<'a>(cfg: &Config, request: Request<'a>, body: &'a [u8]) -> Request<'a> {
    signed(cfg, request, &sha256_hex(body))
        .body_writer(Some(body.len() as u64), move |w| w.write(body))
}

fn with_object_headers<'a>(mut request: Request<'a>, headers: &ObjectHeaders) -> Request<'a> {
    if let Some(ct) = &headers.content_type {
        request = request.header("content-type", ct);
    }
    for (name, value) in &headers.metadata {
        request = request.header(format!("x-amz-meta-{name}"), value);
    }
    request
}

/// `PutObject`: `PUT /{Bucket}/{Key+}?x-id=PutObject`.
pub fn put_object<'a>(
    cfg: &Config,
    bucket: &str,
    key: &str,
    headers: &ObjectHeaders,
    body: &'a [u8],
) -> Request<'a> {
    let request = Request::put(cfg.object_url(bucket, key, "x-id=PutObject"));
    with_body(cfg, with_object_headers(request, headers), body)
}

/// `GetObject`: `GET /{Bucket}/{Key+}?x-id=GetObject`, with `Range:
/// bytes=first-[last]` for `(offset, length)` (a length of at least 1).
pub fn get_object(
    cfg: &Config,
    bucket: &str,
    key: &str,
    range: Option<(u64, Option<u64>)>,
) -> Request<'static> {
    let mut request = Request::get(cfg.object_url(bucket, key, "x-id=GetObject"));
    if let Some((offset, length)) = range {
        let last = length
            .map(|n| offset.saturating_add(n.max(1) - 1).to_string())
            .unwrap_or_default();
        request = request.header("range", format!("bytes={offset}-{last}"));
    }
    bare(cfg, request)
}

/// `HeadObject`: `HEAD /{Bucket}/{Key+}`.
pub fn head_object(cfg: &Config, bucket: &str, key: &str) -> Request<'static> {
    bare(cfg, Request::head(cfg.object_url(bucket, key, "")))
}

/// `DeleteObject`: `DELETE /{Bucket}/{Key+}?x-id=DeleteObject`.
pub fn delete_object(cfg: &Config, bucket: &str, key: &str) -> Request<'static> {
    bare(
        cfg,
        Request::delete(cfg.object_url(bucket, key, "x-id=DeleteObject")),
    )
}

/// The query parameters of `ListObjectsV2` the driver uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListParams<'a> {
    pub prefix: Option<&'a str>,
    pub delimiter: Option<&'a str>,
    pub continuation_token: Option<&'a str>,
    pub max_keys: u32,
}

/// `ListObjectsV2`: `GET /{Bucket}?list-type=2`, asking for `encoding-type=url`
/// so that any key survives XML.
pub fn list_objects_v2(cfg: &Config, bucket: &str, params: ListParams<'_>) -> Request<'static> {
    let max_keys = params.max_keys.to_string();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(t) = params.continuation_token {
        pairs.push(("continuation-token", t));
    }
    if let Some(d) = params.delimiter {
        pairs.push(("delimiter", d));
    }
    pairs.push(("encoding-type", "url"));
    pairs.push(("max-keys", &max_keys));
    if let Some(p) = params.prefix {
        pairs.push(("prefix", p));
    }
    let query = format!("list-type=2&{}", query_string(pairs));
    bare(cfg, Request::get(cfg.bucket_url(bucket, &query)))
}

/// `CreateBucket`: `PUT /{Bucket}`, with a `CreateBucketConfiguration`
/// naming the region outside `us-east-1`.
pub fn create_bucket(cfg: &Config, bucket: &str, configuration: &[u8]) -> Request<'static> {
    let request = Request::put(cfg.bucket_url(bucket, ""));
    if configuration.is_empty() {
        return bare(cfg, request);
    }
    signed(cfg, request, &sha256_hex(configuration))
        .header("content-type", "application/xml")
        .body(configuration.to_vec())
}

/// The body [`create_bucket`] sends for the configured region (empty in `us-east-1`).
pub fn create_bucket_body(cfg: &Config) -> Vec<u8> {
    if cfg.region == "us-east-1" {
        Vec::new()
    } else {
        xml::create_bucket_configuration(&cfg.region).into_bytes()
    }
}

/// `ListBuckets`: `GET /?x-id=ListBuckets`.
pub fn list_buckets(
    cfg: &Config,
    continuation_token: Option<&str>,
    max_buckets: Option<u32>,
) -> Request<'static> {
    let max = max_buckets.map(|m| m.to_string());
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(t) = continuation_token {
        pairs.push(("continuation-token", t));
    }
    if let Some(m) = &max {
        pairs.push(("max-buckets", m));
    }
    let mut query = "x-id=ListBuckets".to_owned();
    if !pairs.is_empty() {
        query = format!("{query}&{}", query_string(pairs));
    }
    bare(cfg, Request::get(cfg.service_url(&query)))
}

/// `DeleteBucket`: `DELETE /{Bucket}`.
pub fn delete_bucket(cfg: &Config, bucket: &str) -> Request<'static> {
    bare(cfg, Request::delete(cfg.bucket_url(bucket, "")))
}

/// `HeadBucket`: `HEAD /{Bucket}`.
pub fn head_bucket(cfg: &Config, bucket: &str) -> Request<'static> {
    bare(cfg, Request::head(cfg.bucket_url(bucket, "")))
}

/// `CreateMultipartUpload`: `POST /{Bucket}/{Key+}?uploads`, with the
/// object's content type and metadata.
pub fn create_multipart_upload(
    cfg: &Config,
    bucket: &str,
    key: &str,
    headers: &ObjectHeaders,
) -> Request<'static> {
    let request = Request::post(cfg.object_url(bucket, key, "uploads"));
    bare(cfg, with_object_headers(request, headers))
}

/// `UploadPart`: `PUT /{Bucket}/{Key+}?x-id=UploadPart&partNumber=N&uploadId=ID`.
pub fn upload_part<'a>(
    cfg: &Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: u32,
    part: &'a [u8],
) -> Request<'a> {
    let query = format!(
        "x-id=UploadPart&{}",
        query_string([
            ("partNumber", part_number.to_string().as_str()),
            ("uploadId", upload_id)
        ])
    );
    with_body(cfg, Request::put(cfg.object_url(bucket, key, &query)), part)
}

/// `CompleteMultipartUpload`: `POST /{Bucket}/{Key+}?uploadId=ID` with the
/// parts' numbers and ETags.
pub fn complete_multipart_upload(
    cfg: &Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
) -> Request<'static> {
    let body = xml::complete_multipart_upload(parts).into_bytes();
    let url = cfg.object_url(bucket, key, &query_string([("uploadId", upload_id)]));
    signed(cfg, Request::post(url), &sha256_hex(&body))
        .header("content-type", "application/xml")
        .body(body)
}

/// `AbortMultipartUpload`: `DELETE /{Bucket}/{Key+}?x-id=AbortMultipartUpload&uploadId=ID`.
pub fn abort_multipart_upload(
    cfg: &Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Request<'static> {
    let query = format!(
        "x-id=AbortMultipartUpload&{}",
        query_string([("uploadId", upload_id)])
    );
    bare(cfg, Request::delete(cfg.object_url(bucket, key, &query)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::config;
    use paddock_sdk::http::Method;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn minio() -> Config {
        config(&[("endpoint", "http://127.0.0.1:9000")]).unwrap()
    }

    fn sign<'r>(r: &'r Request<'_>) -> (Option<&'r str>, Option<&'r str>) {
        (
            r.headers().get("x-paddock-sign"),
            r.headers().get("x-amz-content-sha256"),
        )
    }

    #[test]
    fn every_request_asks_for_a_signature() {
        let c = config(&[("region", "eu-west-1")]).unwrap();
        let want = "aws-sigv4; access-key-id=AWS_ACCESS_KEY_ID; \
                    secret-access-key=AWS_SECRET_ACCESS_KEY; region=eu-west-1; service=s3";
        let h = ObjectHeaders::default();
        for r in [
            head_object(&c, "b", "k"),
            get_object(&c, "b", "k", None),
            delete_object(&c, "b", "k"),
            list_buckets(&c, None, None),
            head_bucket(&c, "b"),
            delete_bucket(&c, "b"),
            create_multipart_upload(&c, "b", "k", &h),
            abort_multipart_upload(&c, "b", "k", "u"),
            list_objects_v2(&c, "b", ListParams::default()),
        ] {
            assert_eq!(sign(&r), (Some(want), Some(EMPTY)), "{}", r.url());
        }
    }

    #[test]
    fn objects() {
        let c = minio();
        let headers = ObjectHeaders {
            content_type: Some("image/jpeg".into()),
            metadata: vec![("color".into(), "red".into())],
        };
        let r = put_object(&c, "photos", "a b/ü.jpg", &headers, b"abc");
        assert_eq!(r.method(), Method::Put);
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/photos/a%20b/%C3%BC.jpg?x-id=PutObject"
        );
        assert_eq!(r.headers().get("content-type"), Some("image/jpeg"));
        assert_eq!(r.headers().get("x-amz-meta-color"), Some("red"));
        assert_eq!(
            r.headers().get("x-amz-content-sha256"),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );

        let r = get_object(&c, "photos", "k", Some((10, Some(5))));
        assert_eq!(r.url(), "http://127.0.0.1:9000/photos/k?x-id=GetObject");
        assert_eq!(r.headers().get("range"), Some("bytes=10-14"));
        let r = get_object(&c, "photos", "k", Some((10, None)));
        assert_eq!(r.headers().get("range"), Some("bytes=10-"));
        assert_eq!(
            get_object(&c, "photos", "k", None).headers().get("range"),
            None
        );

        let r = head_object(&c, "photos", "k");
        assert_eq!(
            (r.method(), r.url()),
            (Method::Head, "http://127.0.0.1:9000/photos/k")
        );
        let r = delete_object(&c, "photos", "k");
        assert_eq!(
            (r.method(), r.url()),
            (
                Method::Delete,
                "http://127.0.0.1:9000/photos/k?x-id=DeleteObject"
            )
        );
    }

    #[test]
    fn listing() {
        let c = minio();
        let r = list_objects_v2(
            &c,
            "photos",
            ListParams {
                prefix: Some("2024/a b"),
                delimiter: Some("/"),
                continuation_token: Some("1ue/x+y="),
                max_keys: 100,
            },
        );
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/photos?list-type=2&continuation-token=1ue%2Fx%2By%3D\
             &delimiter=%2F&encoding-type=url&max-keys=100&prefix=2024%2Fa%20b"
        );
        let r = list_objects_v2(
            &c,
            "photos",
            ListParams {
                max_keys: 1000,
                ..Default::default()
            },
        );
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/photos?list-type=2&encoding-type=url&max-keys=1000"
        );
        let r = list_buckets(&c, Some("t/1"), Some(1));
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/?x-id=ListBuckets&continuation-token=t%2F1&max-buckets=1"
        );
        assert_eq!(
            list_buckets(&c, None, None).url(),
            "http://127.0.0.1:9000/?x-id=ListBuckets"
        );
    }

    #[test]
    fn buckets() {
        let east = config(&[]).unwrap();
        assert!(create_bucket_body(&east).is_empty());
        let r = create_bucket(&east, "photos", &[]);
        assert_eq!(
            (r.method(), r.url()),
            (Method::Put, "https://photos.s3.us-east-1.amazonaws.com/")
        );
        assert_eq!(r.body_bytes(), None);

        let west = config(&[("region", "eu-west-1")]).unwrap();
        let body = create_bucket_body(&west);
        let r = create_bucket(&west, "photos", &body);
        assert_eq!(r.body_bytes(), Some(body.as_slice()));
        assert!(
            String::from_utf8(body.clone())
                .unwrap()
                .contains("<LocationConstraint>eu-west-1</LocationConstraint>")
        );
        assert_eq!(sign(&r).1, Some(sha256_hex(&body).as_str()));

        let r = delete_bucket(&minio(), "photos");
        assert_eq!(
            (r.method(), r.url()),
            (Method::Delete, "http://127.0.0.1:9000/photos")
        );
        let r = head_bucket(&minio(), "photos");
        assert_eq!(
            (r.method(), r.url()),
            (Method::Head, "http://127.0.0.1:9000/photos")
        );
    }

    #[test]
    fn multipart() {
        let c = minio();
        let r = create_multipart_upload(
            &c,
            "b",
            "big.bin",
            &ObjectHeaders {
                content_type: Some("application/octet-stream".into()),
                metadata: vec![],
            },
        );
        assert_eq!(
            (r.method(), r.url()),
            (Method::Post, "http://127.0.0.1:9000/b/big.bin?uploads")
        );
        assert_eq!(
            r.headers().get("content-type"),
            Some("application/octet-stream")
        );

        let part = vec![7u8; 10];
        let r = upload_part(&c, "b", "big.bin", "up/id+1", 3, &part);
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/b/big.bin?x-id=UploadPart&partNumber=3&uploadId=up%2Fid%2B1"
        );
        assert_eq!(sign(&r).1, Some(sha256_hex(&part).as_str()));

        let r = complete_multipart_upload(&c, "b", "big.bin", "u1", &[(1, "\"e1\"".into())]);
        assert_eq!(
            (r.method(), r.url()),
            (Method::Post, "http://127.0.0.1:9000/b/big.bin?uploadId=u1")
        );
        let body = r.body_bytes().unwrap();
        assert!(
            std::str::from_utf8(body)
                .unwrap()
                .contains("<PartNumber>1</PartNumber>")
        );
        assert_eq!(sign(&r).1, Some(sha256_hex(body).as_str()));

        let r = abort_multipart_upload(&c, "b", "big.bin", "u1");
        assert_eq!(
            (r.method(), r.url()),
            (
                Method::Delete,
                "http://127.0.0.1:9000/b/big.bin?x-id=AbortMultipartUpload&uploadId=u1"
            )
        );
    }
}
