//! Multipart upload: `CreateMultipartUpload`, one `UploadPart` per part read
//! from the body (one part buffer, reused, so memory stays at one part),
//! `CompleteMultipartUpload`; `AbortMultipartUpload` when anything fails, so
//! no parts are left behind (a failed abort leaves them to the bucket's
//! lifecycle rules). No reader sees the object before the completion.

use paddock_sdk::storage::ObjectMeta;
use paddock_sdk::{Error, Result};

use crate::client::{Body, Transport, call, fill};
use crate::config::{Config, MAX_PART_MB};
use crate::errors::{Subject, map};
use crate::names::ObjectHeaders;
use crate::objects::{check_length, missing, strip_quotes, written_meta};
use crate::{ops, xml};

/// S3's most parts in one upload.
pub const MAX_PARTS: u64 = 10_000;

/// Uploads `body` in parts; `first` holds bytes already read from it.
#[expect(
    clippy::too_many_arguments,
    reason = "one upload's inputs, passed once"
)]
pub fn upload(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    headers: &ObjectHeaders,
    body: &dyn Body,
    declared: Option<u64>,
    first: Vec<u8>,
) -> Result<ObjectMeta> {
    let part_size = part_size(cfg.part_size, declared, key)?;
    let subject = Subject::Object { bucket, key };
    let created = call(
        t,
        ops::create_multipart_upload(cfg, bucket, key, headers),
        subject,
    )?;
    let created: xml::InitiateMultipartUploadResult =
        xml::parse(&created.bytes()?, "CreateMultipartUpload")?;
    let upload_id = created.upload_id;
    let result = upload_parts(t, cfg, bucket, key, &upload_id, body, part_size, first).and_then(
        |(parts, size)| {
            if let Some(n) = declared {
                check_length(key, n, size)?;
            }
            complete(t, cfg, bucket, key, &upload_id, &parts)
                .map(|(etag, date)| written_meta(key, size, etag, headers, date.as_deref()))
        },
    );
    if result.is_err() {
        // Best effort: the error that stopped the upload is the one to report.
        let _ = t.send(ops::abort_multipart_upload(cfg, bucket, key, &upload_id));
    }
    result
}

/// The part size: the configured one, or larger when a declared size would
/// otherwise need more than [`MAX_PARTS`] parts.
fn part_size(configured: u64, declared: Option<u64>, key: &str) -> Result<u64> {
    const MIB: u64 = 1 << 20;
    let size = match declared {
        Some(n) if n > configured.saturating_mul(MAX_PARTS) => {
            n.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB
        }
        _ => configured,
    };
    if size > MAX_PART_MB * MIB {
        return Err(Error::quota_exceeded(format!(
            "'{key}' is too large for this driver: {MAX_PARTS} parts of at most {MAX_PART_MB} MiB"
        )));
    }
    Ok(size)
}

/// Uploads every part; their numbers and ETags, and the bytes sent.
#[expect(
    clippy::too_many_arguments,
    reason = "one upload's inputs, passed once"
)]
fn upload_parts(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: &dyn Body,
    part_size: u64,
    first: Vec<u8>,
) -> Result<(Vec<(u32, String)>, u64)> {
    let subject = Subject::Object { bucket, key };
    let mut buf = first;
    buf.reserve((part_size as usize).saturating_sub(buf.len()));
    let mut parts: Vec<(u32, String)> = Vec::new();
    let mut size = 0u64;
    loop {
        let ended = fill(body, &mut buf, part_size)?;
        if buf.is_empty() && !parts.is_empty() {
            break;
        }
        let number = parts.len() as u64 + 1;
        if number > MAX_PARTS {
            return Err(Error::quota_exceeded(format!(
                "'{key}' needs more than {MAX_PARTS} parts of {} MiB: raise the slot's \
                 part_size_mb setting, or declare the size so the driver can",
                part_size >> 20
            )));
        }
        let number = number as u32;
        let request = ops::upload_part(cfg, bucket, key, upload_id, number, &buf);
        let response = call(t, request, subject)?;
        let etag = response
            .header("etag")
            .ok_or_else(|| missing("ETag", "UploadPart"))?
            .to_owned();
        parts.push((number, etag));
        size += buf.len() as u64;
        buf.clear();
        if ended {
            break;
        }
    }
    Ok((parts, size))
}

/// `CompleteMultipartUpload`: the object's ETag and the answer's `Date`.
/// S3 may answer 200 and still fail, with an `<Error>` document as the body.
fn complete(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
) -> Result<(String, Option<String>)> {
    let subject = Subject::Object { bucket, key };
    let request = ops::complete_multipart_upload(cfg, bucket, key, upload_id, parts);
    let response = call(t, request, subject)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes()?;
    if xml::root_name(&body).as_deref() == Some("Error") {
        return Err(map(status, &headers, &body, subject));
    }
    let done: xml::CompleteMultipartUploadResult = xml::parse(&body, "CompleteMultipartUpload")?;
    let etag = done
        .etag
        .as_deref()
        .map(strip_quotes)
        .ok_or_else(|| missing("ETag", "CompleteMultipartUpload"))?;
    Ok((etag, headers.get("date").map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::{FakeS3, MemBody};
    use crate::config::config;
    use crate::objects::put;
    use crate::ops::sha256_hex;
    use paddock_sdk::http::{HttpError, HttpErrorKind};
    use paddock_sdk::storage::PutOptions;

    const CREATED: &str =
        "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>";
    const DONE: &str =
        r#"<CompleteMultipartUploadResult><ETag>"abc-3"</ETag></CompleteMultipartUploadResult>"#;

    /// Parts of 4 bytes above a 6-byte threshold, to keep the test bodies small.
    fn small_parts() -> Config {
        let mut c = config(&[("endpoint", "http://127.0.0.1:9000")]).unwrap();
        c.part_size = 4;
        c.multipart_threshold = 6;
        c
    }

    fn opts() -> PutOptions {
        PutOptions {
            content_type: Some("application/x-tar".into()),
            metadata: vec![],
        }
    }

    const BASE: &str = "http://127.0.0.1:9000/b/big";

    #[test]
    fn uploads_parts_then_completes() {
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .answer(200, &[("ETag", "\"p2\"")], "")
            .answer(200, &[("ETag", "\"p3\"")], "")
            .answer(200, &[("Date", "Wed, 01 May 2024 12:00:00 GMT")], DONE);
        let body = MemBody::sized(b"0123456789");
        let meta = put(&s3, &small_parts(), "b", "big", &body, &opts()).unwrap();
        assert_eq!(
            s3.lines(),
            [
                format!("POST {BASE}?uploads"),
                format!("PUT {BASE}?x-id=UploadPart&partNumber=1&uploadId=u1"),
                format!("PUT {BASE}?x-id=UploadPart&partNumber=2&uploadId=u1"),
                format!("PUT {BASE}?x-id=UploadPart&partNumber=3&uploadId=u1"),
                format!("POST {BASE}?uploadId=u1"),
            ]
        );
        let sent = s3.sent.borrow();
        assert_eq!(
            sent[0].headers.get("content-type"),
            Some("application/x-tar")
        );
        let hashes: Vec<_> = sent[1..4]
            .iter()
            .map(|s| s.headers.get("x-amz-content-sha256").unwrap().to_owned())
            .collect();
        assert_eq!(
            hashes,
            [sha256_hex(b"0123"), sha256_hex(b"4567"), sha256_hex(b"89")]
        );
        let xml = String::from_utf8(sent[4].body.clone().unwrap()).unwrap();
        assert!(
            xml.contains("<Part><ETag>&quot;p3&quot;</ETag><PartNumber>3</PartNumber></Part>"),
            "{xml}"
        );
        assert_eq!((meta.etag.as_str(), meta.size), ("abc-3", 10));
        assert_eq!(meta.modified_ms, 1_714_564_800_000);
        assert_eq!(meta.content_type.as_deref(), Some("application/x-tar"));
    }

    #[test]
    fn unknown_sizes_past_one_part_go_multipart() {
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .answer(200, &[("ETag", "\"p2\"")], "")
            .answer(200, &[], DONE);
        let body = MemBody::new(b"01234".to_vec(), None);
        let meta = put(&s3, &small_parts(), "b", "big", &body, &opts()).unwrap();
        assert_eq!(meta.size, 5);
        assert_eq!(s3.lines().len(), 4);
        // A part-sized body ends on a part boundary: no empty last part.
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .answer(200, &[("ETag", "\"p2\"")], "")
            .answer(200, &[], DONE);
        let body = MemBody::new(b"01234567".to_vec(), None);
        assert_eq!(
            put(&s3, &small_parts(), "b", "big", &body, &opts())
                .unwrap()
                .size,
            8
        );
        assert_eq!(s3.lines().len(), 4);
    }

    #[test]
    fn failures_abort_the_upload() {
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .fail(HttpError::new(
                HttpErrorKind::Timeout,
                "http://127.0.0.1:9000 did not answer in time",
            ))
            .answer(204, &[], "");
        let e = put(
            &s3,
            &small_parts(),
            "b",
            "big",
            &MemBody::sized(b"0123456789"),
            &opts(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "unavailable");
        assert_eq!(
            s3.lines().last().unwrap(),
            &format!("DELETE {BASE}?x-id=AbortMultipartUpload&uploadId=u1")
        );

        // A 200 whose body is an error document is a failure too.
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .answer(200, &[("ETag", "\"p2\"")], "")
            .answer(200, &[("ETag", "\"p3\"")], "")
            .answer(
                200,
                &[],
                "<Error><Code>InternalError</Code><Message>retry</Message></Error>",
            )
            .answer(204, &[], "");
        let e = put(
            &s3,
            &small_parts(),
            "b",
            "big",
            &MemBody::sized(b"0123456789"),
            &opts(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "unavailable");
        assert!(s3.lines().last().unwrap().starts_with("DELETE"));

        // A body shorter than declared is refused before the completion.
        let s3 = FakeS3::new();
        s3.answer(200, &[], CREATED)
            .answer(200, &[("ETag", "\"p1\"")], "")
            .answer(200, &[("ETag", "\"p2\"")], "")
            .answer(204, &[], "");
        let body = MemBody::new(b"01234567".to_vec(), Some(10));
        let e = put(&s3, &small_parts(), "b", "big", &body, &opts()).unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        assert!(s3.lines().last().unwrap().starts_with("DELETE"));
    }

    #[test]
    fn a_failed_create_has_nothing_to_abort() {
        let s3 = FakeS3::new();
        s3.answer(403, &[], "<Error><Code>AccessDenied</Code></Error>");
        let e = put(
            &s3,
            &small_parts(),
            "b",
            "big",
            &MemBody::sized(b"0123456789"),
            &opts(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "access-denied");
        assert_eq!(s3.lines().len(), 1);
    }

    #[test]
    fn part_sizes_grow_to_fit_ten_thousand_parts() {
        const MIB: u64 = 1 << 20;
        assert_eq!(part_size(8 * MIB, None, "k").unwrap(), 8 * MIB);
        assert_eq!(
            part_size(8 * MIB, Some(50 * 1024 * MIB), "k").unwrap(),
            8 * MIB
        );
        assert_eq!(
            part_size(8 * MIB, Some(100 * 1024 * MIB), "k").unwrap(),
            11 * MIB
        );
        assert_eq!(
            part_size(8 * MIB, Some(5 * 1024 * 1024 * MIB), "k")
                .unwrap_err()
                .kind(),
            "quota-exceeded"
        );
    }
}
