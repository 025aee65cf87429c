//! The object verbs: `put` (one `PutObject`, or a multipart upload), `get`,
//! `head`, `delete` and `list`.

use paddock_sdk::http::{Headers, percent_decode};
use paddock_sdk::storage::{ByteRange, ObjectMeta, ObjectPage, PutOptions};
use paddock_sdk::time::now_ms;
use paddock_sdk::{Error, Result};

use crate::client::{Body, Transport, call, fill};
use crate::config::Config;
use crate::dates::{http_date_ms, iso8601_ms};
use crate::errors::{Subject, from_response};
use crate::names::{ObjectHeaders, check_bucket, check_key, object_headers};
use crate::ops::{self, ListParams};
use crate::reader::S3Reader;
use crate::{multipart, xml};

/// S3's largest page.
pub const MAX_PAGE: u32 = 1000;

/// Stores an object: one `PutObject` when the declared size is below the
/// multipart threshold, or when a body of unknown size ends within its first
/// part and below the threshold; a multipart upload otherwise. The body is
/// held in memory up to one part (or the threshold), to be hashed for the
/// signature.
///
/// The returned meta is what was sent and what S3 answered: the ETag of the
/// answer, the content type and metadata given (S3 stores an absent content
/// type as `binary/octet-stream`, which `head` shows), and as modification
/// time the answer's `Date` (the server's clock; `Last-Modified` is set when
/// the upload completes, so they agree to the second) rather than one more
/// `HeadObject` round trip.
pub fn put(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    body: &dyn Body,
    options: &PutOptions,
) -> Result<ObjectMeta> {
    check_bucket(bucket)?;
    check_key(key)?;
    let headers = object_headers(options)?;
    match body.size() {
        Some(n) if n < cfg.multipart_threshold => {
            let mut bytes = Vec::with_capacity(n as usize);
            fill(body, &mut bytes, n + 1)?;
            check_length(key, n, bytes.len() as u64)?;
            put_single(t, cfg, bucket, key, &headers, &bytes)
        }
        Some(n) => multipart::upload(t, cfg, bucket, key, &headers, body, Some(n), Vec::new()),
        None => {
            let mut first = Vec::new();
            let ended = fill(body, &mut first, cfg.part_size)?;
            if ended && (first.len() as u64) < cfg.multipart_threshold {
                put_single(t, cfg, bucket, key, &headers, &first)
            } else {
                multipart::upload(t, cfg, bucket, key, &headers, body, None, first)
            }
        }
    }
}

/// `invalid-input` when the body's length differs from the size declared.
pub fn check_length(key: &str, declared: u64, actual: u64) -> Result<()> {
    if declared == actual {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "the body of '{key}' was declared as {declared} bytes but {} {actual}",
            if actual > declared {
                "is at least"
            } else {
                "has"
            }
        )))
    }
}

fn put_single(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    headers: &ObjectHeaders,
    bytes: &[u8],
) -> Result<ObjectMeta> {
    let subject = Subject::Object { bucket, key };
    let response = call(
        t,
        ops::put_object(cfg, bucket, key, headers, bytes),
        subject,
    )?;
    let etag = response
        .header("etag")
        .map(strip_quotes)
        .ok_or_else(|| missing("ETag", "PutObject"))?;
    Ok(written_meta(
        key,
        bytes.len() as u64,
        etag,
        headers,
        response.header("date"),
    ))
}

/// The meta of an object just written.
pub fn written_meta(
    key: &str,
    size: u64,
    etag: String,
    headers: &ObjectHeaders,
    date: Option<&str>,
) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size,
        etag,
        content_type: headers.content_type.clone(),
        modified_ms: date.and_then(http_date_ms).unwrap_or_else(now_ms),
        metadata: headers.metadata.clone(),
    }
}

/// What `get` found: the meta, the range served, and the reader serving it.
pub struct Got {
    pub meta: ObjectMeta,
    pub offset: u64,
    pub length: u64,
    pub reader: S3Reader,
}

/// Reads an object or a range of it with `GetObject`; the body streams from
/// the response as the host pulls it.
pub fn get(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    range: Option<ByteRange>,
) -> Result<Got> {
    check_bucket(bucket)?;
    check_key(key)?;
    let subject = Subject::Object { bucket, key };
    let asked = match range {
        None
        | Some(ByteRange {
            offset: 0,
            length: None,
        }) => None,
        Some(ByteRange {
            offset,
            length: Some(0),
        }) => return empty_range(t, cfg, bucket, key, offset),
        Some(ByteRange { offset, length }) => Some((offset, length)),
    };
    let response = t.send(ops::get_object(cfg, bucket, key, asked))?;
    if response.status() == 416 {
        // The range starts at or past the end (S3 refuses `bytes=0-` on an
        // empty object too): the size tells which.
        drop(response);
        return empty_range(t, cfg, bucket, key, asked.map_or(0, |(o, _)| o));
    }
    if !response.is_success() {
        return Err(from_response(response, subject));
    }
    let (offset, length, size, skip) = served_range(&response, asked, key)?;
    let meta = meta_from_headers(key, response.headers(), size);
    Ok(Got {
        meta,
        offset,
        length,
        reader: S3Reader::new(Some(response), skip, length, key),
    })
}

/// A `get` that serves no bytes: at the end of the object, or a zero length.
fn empty_range(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    key: &str,
    offset: u64,
) -> Result<Got> {
    let meta = head(t, cfg, bucket, key)?;
    if offset > meta.size {
        return Err(Error::invalid_input(format!(
            "range starts at byte {offset}, past the end of '{key}' ({} bytes)",
            meta.size
        )));
    }
    Ok(Got {
        meta,
        offset,
        length: 0,
        reader: S3Reader::new(None, 0, 0, key),
    })
}

/// `(offset, length, object size, bytes to skip)` of a `GetObject` answer.
fn served_range(
    response: &paddock_sdk::http::Response,
    asked: Option<(u64, Option<u64>)>,
    key: &str,
) -> Result<(u64, u64, u64, u64)> {
    if response.status() == 206 {
        let header = response
            .header("content-range")
            .ok_or_else(|| missing("Content-Range", "a ranged GetObject"))?;
        let (first, last, total) = parse_content_range(header).ok_or_else(|| {
            Error::vendor(
                "malformed-response",
                format!("the S3 server sent Content-Range '{header}'"),
            )
        })?;
        if asked.is_some_and(|(offset, _)| offset != first) {
            return Err(Error::vendor(
                "malformed-response",
                format!("the S3 server served '{key}' from byte {first}, not the byte asked for"),
            ));
        }
        let length = last - first + 1;
        return Ok((first, length, total.unwrap_or(first + length), 0));
    }
    // The whole object: no range was asked, or the server ignored it.
    let size = response
        .content_length()
        .ok_or_else(|| missing("Content-Length", "GetObject"))?;
    match asked {
        None => Ok((0, size, size, 0)),
        Some((offset, _)) if offset > size => Err(Error::invalid_input(format!(
            "range starts at byte {offset}, past the end of '{key}' ({size} bytes)"
        ))),
        Some((offset, length)) => {
            let length = length.unwrap_or(u64::MAX).min(size - offset);
            Ok((offset, length, size, offset))
        }
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`).
fn parse_content_range(text: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = text.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (last >= first).then_some((first, last, total))
}

/// The meta of an object from `GetObject`/`HeadObject` headers.
pub fn meta_from_headers(key: &str, headers: &Headers, size: u64) -> ObjectMeta {
    let mut metadata: Vec<(String, String)> = headers
        .with_prefix("x-amz-meta-")
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
    metadata.sort();
    ObjectMeta {
        key: key.to_owned(),
        size,
        etag: headers.get("etag").map(strip_quotes).unwrap_or_default(),
        content_type: headers.get("content-type").map(str::to_owned),
        modified_ms: headers
            .get("last-modified")
            .and_then(http_date_ms)
            .unwrap_or(0),
        metadata,
    }
}

/// `HeadObject`.
pub fn head(t: &dyn Transport, cfg: &Config, bucket: &str, key: &str) -> Result<ObjectMeta> {
    check_bucket(bucket)?;
    check_key(key)?;
    let response = call(
        t,
        ops::head_object(cfg, bucket, key),
        Subject::Object { bucket, key },
    )?;
    let size = response
        .content_length()
        .ok_or_else(|| missing("Content-Length", "HeadObject"))?;
    Ok(meta_from_headers(key, response.headers(), size))
}

/// `DeleteObject`: a missing key succeeds, a missing bucket is `not-found`.
pub fn delete(t: &dyn Transport, cfg: &Config, bucket: &str, key: &str) -> Result<()> {
    check_bucket(bucket)?;
    check_key(key)?;
    call(
        t,
        ops::delete_object(cfg, bucket, key),
        Subject::Object { bucket, key },
    )?;
    Ok(())
}

/// One `ListObjectsV2` page. The cursor is S3's continuation token. Listed
/// objects carry no content type or metadata: `ListObjectsV2` does not return
/// them (`head` does).
pub fn list(
    t: &dyn Transport,
    cfg: &Config,
    bucket: &str,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<ObjectPage> {
    check_bucket(bucket)?;
    if delimiter == Some("") {
        return Err(Error::invalid_input(
            "delimiter must not be empty; omit it to list flat",
        ));
    }
    let max_keys = match limit {
        None => MAX_PAGE,
        Some(n @ 1..=MAX_PAGE) => n,
        Some(n) => {
            return Err(Error::invalid_input(format!(
                "limit {n}: it must be between 1 and {MAX_PAGE}"
            )));
        }
    };
    let params = ListParams {
        prefix: prefix.filter(|p| !p.is_empty()),
        delimiter,
        continuation_token: cursor.filter(|c| !c.is_empty()),
        max_keys,
    };
    let response = call(
        t,
        ops::list_objects_v2(cfg, bucket, params),
        Subject::Bucket(bucket),
    )?;
    let body = response.bytes()?;
    page_from_xml(&body)
}

/// An `ObjectPage` from a `ListObjectsV2` answer.
pub fn page_from_xml(body: &[u8]) -> Result<ObjectPage> {
    let result: xml::ListBucketResult = xml::parse(body, "ListObjectsV2")?;
    let url_encoded = result
        .encoding_type
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let decode = |text: String| -> Result<String> {
        if !url_encoded {
            return Ok(text);
        }
        percent_decode(&text, true).ok_or_else(|| {
            Error::vendor(
                "malformed-response",
                format!("the S3 server listed a key that is not URL-encoded UTF-8: '{text}'"),
            )
        })
    };
    let mut objects = Vec::with_capacity(result.contents.len());
    for o in result.contents {
        objects.push(ObjectMeta {
            key: decode(o.key)?,
            size: o.size.unwrap_or(0),
            etag: o.etag.as_deref().map(strip_quotes).unwrap_or_default(),
            content_type: None,
            modified_ms: o.last_modified.as_deref().and_then(iso8601_ms).unwrap_or(0),
            metadata: Vec::new(),
        });
    }
    let prefixes = result
        .common_prefixes
        .into_iter()
        .map(|p| decode(p.prefix))
        .collect::<Result<Vec<_>>>()?;
    let next_cursor = match (result.is_truncated, result.next_continuation_token) {
        (true, Some(token)) if !token.is_empty() => Some(token),
        (true, _) => {
            return Err(missing(
                "NextContinuationToken",
                "a truncated ListObjectsV2",
            ));
        }
        (false, _) => None,
    };
    Ok(ObjectPage {
        objects,
        prefixes,
        next_cursor,
    })
}

/// An ETag without its quotes (`"abc"` → `abc`; `W/"abc"` → `abc`).
pub fn strip_quotes(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.trim_matches('"').to_owned()
}

/// A response lacking what the S3 model says it carries.
pub fn missing(what: &str, operation: &str) -> Error {
    Error::vendor(
        "malformed-response",
        format!("the S3 server's answer to {operation} has no {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::{FakeS3, MemBody};
    use crate::config::config;

    fn minio() -> Config {
        config(&[("endpoint", "http://127.0.0.1:9000")]).unwrap()
    }

    const DATE: &str = "Wed, 01 May 2024 12:00:00 GMT";

    #[test]
    fn small_puts_are_one_put_object() {
        let s3 = FakeS3::new();
        s3.answer(
            200,
            &[
                ("ETag", "\"900150983cd24fb0d6963f7d28e17f72\""),
                ("Date", DATE),
            ],
            "",
        );
        let opts = PutOptions {
            content_type: Some("text/plain".into()),
            metadata: vec![("Color".into(), "red".into())],
        };
        let meta = put(&s3, &minio(), "b", "k.txt", &MemBody::sized(b"abc"), &opts).unwrap();
        assert_eq!(
            s3.lines(),
            ["PUT http://127.0.0.1:9000/b/k.txt?x-id=PutObject"]
        );
        let sent = &s3.sent.borrow()[0];
        assert_eq!(
            sent.headers.get("x-amz-content-sha256"),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(sent.headers.get("x-amz-meta-color"), Some("red"));
        assert_eq!(meta.etag, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!((meta.size, meta.modified_ms), (3, 1_714_564_800_000));
        assert_eq!(meta.metadata, [("color".to_owned(), "red".to_owned())]);
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn unknown_sizes_that_end_early_are_one_put_object() {
        let s3 = FakeS3::new();
        s3.answer(200, &[("ETag", "\"e\"")], "");
        let body = MemBody::new(b"hello".to_vec(), None);
        let meta = put(
            &s3,
            &minio(),
            "b",
            "k",
            &body,
            &PutOptions {
                content_type: None,
                metadata: vec![],
            },
        )
        .unwrap();
        assert_eq!(meta.size, 5);
        assert_eq!(s3.lines().len(), 1);
    }

    #[test]
    fn a_body_unlike_its_declared_size_is_refused() {
        let s3 = FakeS3::new();
        let opts = PutOptions {
            content_type: None,
            metadata: vec![],
        };
        let e = put(
            &s3,
            &minio(),
            "b",
            "k",
            &MemBody::new(b"abcd".to_vec(), Some(3)),
            &opts,
        )
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        let e = put(
            &s3,
            &minio(),
            "b",
            "k",
            &MemBody::new(b"ab".to_vec(), Some(3)),
            &opts,
        )
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-input");
        assert!(s3.lines().is_empty());
    }

    #[test]
    fn put_errors_are_mapped() {
        let s3 = FakeS3::new();
        s3.answer(
            404,
            &[],
            "<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>",
        );
        let opts = PutOptions {
            content_type: None,
            metadata: vec![],
        };
        let e = put(&s3, &minio(), "b", "k", &MemBody::sized(b"x"), &opts).unwrap_err();
        assert_eq!(e.kind(), "not-found");
        assert!(e.message().contains("bucket 'b'"), "{}", e.message());
    }

    #[test]
    fn get_whole_and_ranged() {
        let s3 = FakeS3::new();
        s3.answer(
            200,
            &[
                ("Content-Length", "7"),
                ("ETag", "\"e1\""),
                ("Content-Type", "text/plain"),
                ("Last-Modified", DATE),
                ("x-amz-meta-b", "2"),
                ("X-Amz-Meta-A", "1"),
            ],
            "abcdefg",
        );
        let got = get(&s3, &minio(), "b", "k", None).unwrap();
        assert_eq!((got.offset, got.length, got.meta.size), (0, 7, 7));
        assert_eq!(got.meta.etag, "e1");
        assert_eq!(got.meta.modified_ms, 1_714_564_800_000);
        assert_eq!(
            got.meta.metadata,
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(s3.sent.borrow()[0].headers.get("range"), None);

        use paddock_sdk::storage::ObjectReader;
        s3.answer(
            206,
            &[("Content-Range", "bytes 2-4/7"), ("Content-Length", "3")],
            "cde",
        );
        let got = get(
            &s3,
            &minio(),
            "b",
            "k",
            Some(ByteRange {
                offset: 2,
                length: Some(3),
            }),
        )
        .unwrap();
        assert_eq!((got.offset, got.length, got.meta.size), (2, 3, 7));
        assert_eq!(s3.sent.borrow()[1].headers.get("range"), Some("bytes=2-4"));
        assert_eq!(got.reader.read(10).unwrap().unwrap(), b"cde");
        assert!(got.reader.read(10).unwrap().is_none());

        // A server that ignores Range: the reader skips and cuts.
        s3.answer(200, &[("Content-Length", "7")], "abcdefg");
        let got = get(
            &s3,
            &minio(),
            "b",
            "k",
            Some(ByteRange {
                offset: 5,
                length: None,
            }),
        )
        .unwrap();
        assert_eq!((got.offset, got.length, got.meta.size), (5, 2, 7));
        assert_eq!(got.reader.read(10).unwrap().unwrap(), b"fg");
    }

    #[test]
    fn ranges_at_and_past_the_end() {
        let s3 = FakeS3::new();
        // 416, then the HeadObject that tells the size.
        s3.answer(416, &[], "<Error><Code>InvalidRange</Code></Error>")
            .answer(200, &[("Content-Length", "7")], "");
        let got = get(
            &s3,
            &minio(),
            "b",
            "k",
            Some(ByteRange {
                offset: 7,
                length: None,
            }),
        )
        .unwrap();
        assert_eq!((got.offset, got.length), (7, 0));
        assert_eq!(
            s3.lines(),
            [
                "GET http://127.0.0.1:9000/b/k?x-id=GetObject",
                "HEAD http://127.0.0.1:9000/b/k"
            ]
        );
        s3.answer(416, &[], "")
            .answer(200, &[("Content-Length", "7")], "");
        let e = get(
            &s3,
            &minio(),
            "b",
            "k",
            Some(ByteRange {
                offset: 8,
                length: Some(2),
            }),
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), "invalid-input");
        // A zero length never asks for bytes.
        s3.answer(200, &[("Content-Length", "7")], "");
        let got = get(
            &s3,
            &minio(),
            "b",
            "k",
            Some(ByteRange {
                offset: 3,
                length: Some(0),
            }),
        )
        .unwrap();
        assert_eq!((got.offset, got.length), (3, 0));
        assert_eq!(s3.lines().last().unwrap(), "HEAD http://127.0.0.1:9000/b/k");
    }

    #[test]
    fn head_and_delete() {
        let s3 = FakeS3::new();
        s3.answer(404, &[], "");
        assert_eq!(
            head(&s3, &minio(), "b", "k").unwrap_err().kind(),
            "not-found"
        );
        s3.answer(204, &[], "");
        delete(&s3, &minio(), "b", "k").unwrap();
        s3.answer(403, &[], "<Error><Code>AccessDenied</Code></Error>");
        assert_eq!(
            delete(&s3, &minio(), "b", "k").unwrap_err().kind(),
            "access-denied"
        );
        assert_eq!(
            head(&s3, &minio(), "b", "").unwrap_err().kind(),
            "invalid-input"
        );
    }

    #[test]
    fn list_pages_decode_url_encoded_keys() {
        let s3 = FakeS3::new();
        s3.answer(
            200,
            &[],
            r#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
               <NextContinuationToken>tok</NextContinuationToken>
               <Contents><Key>a+b%2Bc%C3%BC</Key><Size>3</Size><ETag>"e"</ETag>
               <LastModified>2024-05-01T12:00:00.000Z</LastModified></Contents>
               <CommonPrefixes><Prefix>dir+1/</Prefix></CommonPrefixes></ListBucketResult>"#,
        );
        let page = list(
            &s3,
            &minio(),
            "b",
            Some(""),
            Some("/"),
            Some("prev"),
            Some(2),
        )
        .unwrap();
        assert_eq!(
            s3.lines(),
            [
                "GET http://127.0.0.1:9000/b?list-type=2&continuation-token=prev&delimiter=%2F&encoding-type=url&max-keys=2"
            ]
        );
        assert_eq!(page.objects[0].key, "a b+cü");
        assert_eq!(
            (page.objects[0].size, page.objects[0].etag.as_str()),
            (3, "e")
        );
        assert_eq!(page.objects[0].modified_ms, 1_714_564_800_000);
        assert_eq!(page.prefixes, ["dir 1/"]);
        assert_eq!(page.next_cursor.as_deref(), Some("tok"));

        // Without EncodingType the keys are taken as they are.
        let page = page_from_xml(
            b"<ListBucketResult><Contents><Key>a+b</Key></Contents></ListBucketResult>",
        )
        .unwrap();
        assert_eq!(page.objects[0].key, "a+b");
        assert!(page.next_cursor.is_none());
        let e =
            page_from_xml(b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
                .unwrap_err();
        assert_eq!(e.kind(), "vendor");
    }

    #[test]
    fn list_checks_its_arguments() {
        let s3 = FakeS3::new();
        for (delimiter, limit) in [(Some(""), None), (None, Some(0)), (None, Some(1001))] {
            let e = list(&s3, &minio(), "b", None, delimiter, None, limit).unwrap_err();
            assert_eq!(e.kind(), "invalid-input");
        }
        assert!(s3.lines().is_empty());
    }

    #[test]
    fn content_ranges_and_etags() {
        assert_eq!(
            parse_content_range("bytes 0-9/100"),
            Some((0, 9, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 5-5/*"), Some((5, 5, None)));
        assert_eq!(parse_content_range("bytes */100"), None);
        assert_eq!(parse_content_range("bytes 9-0/100"), None);
        assert_eq!(strip_quotes("\"abc-2\""), "abc-2");
        assert_eq!(strip_quotes("W/\"abc\""), "abc");
        assert_eq!(strip_quotes("abc"), "abc");
    }
}
