//! Containers are buckets: `CreateBucket`, `ListBuckets`, `DeleteBucket`,
//! and `health`.

use paddock_sdk::storage::{ContainerInfo, HealthReport};
use paddock_sdk::{Error, Result};

use crate::client::{Transport, call};
use crate::config::Config;
use crate::dates::iso8601_ms;
use crate::errors::{Subject, from_response, not_empty};
use crate::names::check_bucket;
use crate::ops::ListParams;
use crate::{ops, xml};

/// At most this many `ListBuckets` pages (S3 answers up to 10 000 buckets a page).
const MAX_BUCKET_PAGES: usize = 100;

/// Creates a bucket in the configured region. A `HeadBucket` first tells
/// whether it is there: S3 in `us-east-1` answers 200 to creating a bucket
/// its caller already owns.
pub fn create(t: &dyn Transport, cfg: &Config, name: &str) -> Result<()> {
    check_bucket(name)?;
    let subject = Subject::Bucket(name);
    let head = t.send(ops::head_bucket(cfg, name))?;
    if head.is_success() {
        return Err(Error::already_exists(format!("{subject} already exists")));
    }
    drop(head);
    let body = ops::create_bucket_body(cfg);
    call(t, ops::create_bucket(cfg, name, &body), subject)?;
    Ok(())
}

/// Every bucket the credentials can see, following continuation tokens.
pub fn list(t: &dyn Transport, cfg: &Config) -> Result<Vec<ContainerInfo>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_BUCKET_PAGES {
        let response = call(
            t,
            ops::list_buckets(cfg, token.as_deref(), None),
            Subject::Service,
        )?;
        let page: xml::ListAllMyBucketsResult = xml::parse(&response.bytes()?, "ListBuckets")?;
        out.extend(page.buckets.bucket.into_iter().map(|b| ContainerInfo {
            created_ms: b.creation_date.as_deref().and_then(iso8601_ms),
            name: b.name,
        }));
        match page.continuation_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Deletes an empty bucket; `conflict` when it still holds objects.
///
/// A `ListObjectsV2` of one key comes first: S3 refuses to delete a bucket
/// that holds objects (`BucketNotEmpty`), but not every S3-compatible server
/// does (`s3s-fs` deletes the folder with everything in it), and losing the
/// objects costs more than one request. Credentials that may not list go on
/// to the `DeleteBucket`, where S3's own check applies.
pub fn delete(t: &dyn Transport, cfg: &Config, name: &str) -> Result<()> {
    check_bucket(name)?;
    let subject = Subject::Bucket(name);
    let one = ListParams {
        prefix: None,
        delimiter: None,
        continuation_token: None,
        max_keys: 1,
    };
    match call(t, ops::list_objects_v2(cfg, name, one), subject) {
        Ok(listed) => {
            let page: xml::ListBucketResult = xml::parse(&listed.bytes()?, "ListObjectsV2")?;
            if !page.contents.is_empty() {
                return Err(not_empty(subject));
            }
        }
        Err(e) if e.kind() == "access-denied" => {}
        Err(e) => return Err(e),
    }
    call(t, ops::delete_bucket(cfg, name), subject)?;
    Ok(())
}

/// One `ListBuckets` of at most one bucket: the endpoint answers and the
/// credentials are accepted. (It needs `s3:ListAllMyBuckets`; credentials
/// limited to one bucket report unhealthy here while the bucket works.)
pub fn health(t: &dyn Transport, cfg: &Config) -> Result<HealthReport> {
    let details = vec![
        ("endpoint".to_owned(), cfg.endpoint.origin()),
        ("region".to_owned(), cfg.region.clone()),
        ("addressing".to_owned(), cfg.addressing().to_owned()),
    ];
    let response = t.send(ops::list_buckets(cfg, None, Some(1)))?;
    if response.is_success() {
        return Ok(HealthReport {
            healthy: true,
            message: Some(format!(
                "S3 at {} accepts the slot's credentials",
                cfg.endpoint.origin()
            )),
            details,
        });
    }
    let e = from_response(response, Subject::Service);
    Ok(HealthReport {
        healthy: false,
        message: Some(format!("{}: {}", e.kind(), e.message())),
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake::FakeS3;
    use crate::config::config;

    #[test]
    fn create_checks_first_and_names_the_region() {
        let s3 = FakeS3::new();
        s3.answer(404, &[], "").answer(200, &[], "");
        let west = config(&[
            ("region", "eu-west-1"),
            ("endpoint", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        create(&s3, &west, "photos").unwrap();
        assert_eq!(
            s3.lines(),
            [
                "HEAD http://127.0.0.1:9000/photos",
                "PUT http://127.0.0.1:9000/photos"
            ]
        );
        let body = s3.sent.borrow()[1].body.clone().unwrap();
        assert!(String::from_utf8(body).unwrap().contains("eu-west-1"));

        let s3 = FakeS3::new();
        s3.answer(200, &[], "");
        assert_eq!(
            create(&s3, &west, "photos").unwrap_err().kind(),
            "already-exists"
        );
        assert_eq!(s3.lines().len(), 1);

        let s3 = FakeS3::new();
        s3.answer(403, &[], "")
            .answer(409, &[], "<Error><Code>BucketAlreadyExists</Code></Error>");
        assert_eq!(
            create(&s3, &west, "photos").unwrap_err().kind(),
            "already-exists"
        );
    }

    #[test]
    fn list_follows_continuation_tokens() {
        let s3 = FakeS3::new();
        s3.answer(
            200,
            &[],
            "<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name>\
             <CreationDate>2024-05-01T12:00:00.000Z</CreationDate></Bucket></Buckets>\
             <ContinuationToken>t2</ContinuationToken></ListAllMyBucketsResult>",
        )
        .answer(
            200,
            &[],
            "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket></Buckets>\
             </ListAllMyBucketsResult>",
        );
        let all = list(&s3, &config(&[]).unwrap()).unwrap();
        let names: Vec<_> = all
            .iter()
            .map(|c| (c.name.as_str(), c.created_ms))
            .collect();
        assert_eq!(names, [("a", None), ("b", Some(1_714_564_800_000))]);
        assert_eq!(
            s3.lines()[1],
            "GET https://s3.us-east-1.amazonaws.com/?x-id=ListBuckets&continuation-token=t2"
        );
    }

    #[test]
    fn delete_checks_the_bucket_is_empty_first() {
        const EMPTY: &str = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
        const ONE: &str = "<ListBucketResult><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>t</NextContinuationToken><Contents><Key>k</Key></Contents>\
            </ListBucketResult>";
        let c = config(&[]).unwrap();
        let s3 = FakeS3::new();
        // Holding an object: refused here, no DeleteBucket sent.
        s3.answer(200, &[], ONE);
        let e = delete(&s3, &c, "photos").unwrap_err();
        assert_eq!(e.kind(), "conflict");
        assert!(
            e.message().contains("still holds objects"),
            "{}",
            e.message()
        );
        assert_eq!(
            s3.lines(),
            [
                "GET https://photos.s3.us-east-1.amazonaws.com/?list-type=2&encoding-type=url&max-keys=1"
            ]
        );
        // Missing: not-found from the listing.
        s3.answer(404, &[], "<Error><Code>NoSuchBucket</Code></Error>");
        assert_eq!(delete(&s3, &c, "photos").unwrap_err().kind(), "not-found");
        assert_eq!(s3.lines().len(), 2);
        // Empty: deleted; S3's BucketNotEmpty (an object put meanwhile, an
        // unfinished upload) is a conflict too.
        s3.answer(200, &[], EMPTY).answer(204, &[], "");
        delete(&s3, &c, "photos").unwrap();
        assert_eq!(
            s3.lines()[3],
            "DELETE https://photos.s3.us-east-1.amazonaws.com/"
        );
        s3.answer(200, &[], EMPTY)
            .answer(409, &[], "<Error><Code>BucketNotEmpty</Code></Error>");
        assert_eq!(delete(&s3, &c, "photos").unwrap_err().kind(), "conflict");
        // Credentials that may not list still delete, S3 checking.
        s3.answer(403, &[], "<Error><Code>AccessDenied</Code></Error>")
            .answer(204, &[], "");
        delete(&s3, &c, "photos").unwrap();
        assert_eq!(s3.lines().len(), 8);
    }

    #[test]
    fn health_reports_refusals() {
        let s3 = FakeS3::new();
        s3.answer(200, &[], "<ListAllMyBucketsResult/>").answer(
            403,
            &[],
            "<Error><Code>InvalidAccessKeyId</Code></Error>",
        );
        let c = config(&[]).unwrap();
        let ok = health(&s3, &c).unwrap();
        assert!(ok.healthy);
        assert_eq!(
            s3.lines()[0],
            "GET https://s3.us-east-1.amazonaws.com/?x-id=ListBuckets&max-buckets=1"
        );
        let bad = health(&s3, &c).unwrap();
        assert!(!bad.healthy);
        assert!(bad.message.unwrap().starts_with("access-denied"));
    }
}
