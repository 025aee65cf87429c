//! The XML S3 speaks (`restXml`, namespace
//! `http://s3.amazonaws.com/doc/2006-03-01/`): the few response documents the
//! driver reads, parsed with `quick-xml`'s serde support (unknown elements
//! are ignored, lists are flattened as S3 writes them), and the two request
//! bodies it writes.

use paddock_sdk::{Error, Result};
use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde::Deserialize;
use serde::de::DeserializeOwned;

const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// `ListObjectsV2Output` (`<ListBucketResult>`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResult {
    #[serde(default)]
    pub is_truncated: bool,
    #[serde(default)]
    pub contents: Vec<ListedObject>,
    #[serde(default)]
    pub common_prefixes: Vec<CommonPrefix>,
    pub next_continuation_token: Option<String>,
    /// `url` when keys and prefixes are percent-encoded (we ask for it).
    pub encoding_type: Option<String>,
}

/// `Object` of a listing.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedObject {
    pub key: String,
    pub last_modified: Option<String>,
    #[serde(rename = "ETag")]
    pub etag: Option<String>,
    pub size: Option<u64>,
}

/// `CommonPrefix`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommonPrefix {
    pub prefix: String,
}

/// `ListBucketsOutput` (`<ListAllMyBucketsResult>`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAllMyBucketsResult {
    #[serde(default)]
    pub buckets: Buckets,
    pub continuation_token: Option<String>,
}

/// `<Buckets>`: a wrapped list of `<Bucket>`.
#[derive(Debug, Default, Deserialize)]
pub struct Buckets {
    #[serde(rename = "Bucket", default)]
    pub bucket: Vec<ListedBucket>,
}

/// `Bucket`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedBucket {
    pub name: String,
    pub creation_date: Option<String>,
}

/// `CreateMultipartUploadOutput` (`<InitiateMultipartUploadResult>`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    pub upload_id: String,
}

/// `CompleteMultipartUploadOutput` (`<CompleteMultipartUploadResult>`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteMultipartUploadResult {
    #[serde(rename = "ETag")]
    pub etag: Option<String>,
}

/// An error document: `<Error><Code>…</Code><Message>…</Message>…</Error>`
/// (`restXml` with `noErrorWrapping`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDocument {
    pub code: Option<String>,
    pub message: Option<String>,
    /// The bucket's region (`AuthorizationHeaderMalformed`).
    pub region: Option<String>,
    /// The endpoint to use (`PermanentRedirect`).
    pub endpoint: Option<String>,
}

/// The name of the document's root element (`Error`, `ListBucketResult`).
pub fn root_name(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Event::Eof => return None,
            _ => buf.clear(),
        }
    }
}

/// An error document, when `body` is one.
pub fn error_document(body: &[u8]) -> Option<ErrorDocument> {
    if root_name(body).as_deref() != Some("Error") {
        return None;
    }
    parse(body, "error document").ok()
}

/// Parses a response document; `vendor` `malformed-response` when it is not
/// what the S3 model says `what` answers with.
pub fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    let bad = |why: String| {
        Error::vendor(
            "malformed-response",
            format!("the S3 server's answer to {what} is not the XML S3 sends: {why}"),
        )
    };
    let text = std::str::from_utf8(body).map_err(|e| bad(e.to_string()))?;
    quick_xml::de::from_str(text).map_err(|e| bad(e.to_string()))
}

/// The body of `CompleteMultipartUpload`: each part's number and the ETag
/// `UploadPart` answered (quotes kept), in part order.
pub fn complete_multipart_upload(parts: &[(u32, String)]) -> String {
    let mut xml = format!(r#"<CompleteMultipartUpload xmlns="{NAMESPACE}">"#);
    for (number, etag) in parts {
        xml.push_str(&format!(
            "<Part><ETag>{}</ETag><PartNumber>{number}</PartNumber></Part>",
            escape(etag.as_str())
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml
}

/// The body of `CreateBucket` outside `us-east-1` (where S3 wants none).
pub fn create_bucket_configuration(region: &str) -> String {
    format!(
        r#"<CreateBucketConfiguration xmlns="{NAMESPACE}"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>"#,
        escape(region)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_objects_v2_with_prefixes_and_a_continuation() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>photos</Name><Prefix>2024/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>
  <Delimiter>/</Delimiter><EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>2024/a%20b.jpg</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
    <Size>434234</Size><StorageClass>STANDARD</StorageClass>
    <Owner><ID>abc</ID></Owner>
  </Contents>
  <Contents>
    <Key>2024/c.jpg</Key><LastModified>2024-05-02T12:00:00Z</LastModified>
    <ETag>"e0-2"</ETag><Size>0</Size>
  </Contents>
  <CommonPrefixes><Prefix>2024/raw/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let r: ListBucketResult = parse(body, "ListObjectsV2").unwrap();
        assert!(r.is_truncated);
        assert_eq!(r.encoding_type.as_deref(), Some("url"));
        assert_eq!(
            r.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
        let keys: Vec<_> = r.contents.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["2024/a%20b.jpg", "2024/c.jpg"]);
        assert_eq!(
            r.contents[0].etag.as_deref(),
            Some("\"9b2cf535f27731c974343645a3985328\"")
        );
        assert_eq!(r.contents[0].size, Some(434_234));
        assert_eq!(
            r.contents[1].last_modified.as_deref(),
            Some("2024-05-02T12:00:00Z")
        );
        assert_eq!(r.common_prefixes[0].prefix, "2024/raw/");
    }

    #[test]
    fn interleaved_and_empty_listings() {
        let body = br#"<ListBucketResult><Contents><Key>a</Key></Contents>
            <CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>
            <Contents><Key>c</Key></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"#;
        let r: ListBucketResult = parse(body, "ListObjectsV2").unwrap();
        assert_eq!((r.contents.len(), r.common_prefixes.len()), (2, 1));
        let r: ListBucketResult = parse(
            b"<ListBucketResult><Name>x</Name></ListBucketResult>",
            "ListObjectsV2",
        )
        .unwrap();
        assert!(!r.is_truncated && r.contents.is_empty() && r.next_continuation_token.is_none());
        let e = parse::<ListBucketResult>(b"<html>oops", "ListObjectsV2").unwrap_err();
        assert_eq!(e.kind(), "vendor");
        assert!(e.message().contains("ListObjectsV2"));
    }

    #[test]
    fn list_buckets() {
        let body = br#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Owner><ID>o</ID></Owner>
            <Buckets>
              <Bucket><Name>a</Name><CreationDate>2024-05-01T12:00:00.000Z</CreationDate></Bucket>
              <Bucket><Name>b</Name><CreationDate>2024-05-02T12:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>
            </Buckets><ContinuationToken>next</ContinuationToken></ListAllMyBucketsResult>"#;
        let r: ListAllMyBucketsResult = parse(body, "ListBuckets").unwrap();
        let names: Vec<_> = r.buckets.bucket.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(r.continuation_token.as_deref(), Some("next"));
        let r: ListAllMyBucketsResult = parse(
            b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>",
            "ListBuckets",
        )
        .unwrap();
        assert!(r.buckets.bucket.is_empty());
    }

    #[test]
    fn multipart_documents() {
        let r: InitiateMultipartUploadResult = parse(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"#,
            "CreateMultipartUpload",
        )
        .unwrap();
        assert_eq!(r.upload_id, "VXBsb2FkIElE");
        let r: CompleteMultipartUploadResult = parse(
            br#"<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key>
<ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>"#,
            "CompleteMultipartUpload",
        )
        .unwrap();
        assert_eq!(
            r.etag.as_deref(),
            Some("\"3858f62230ac3c915f300c664312c11f-9\"")
        );

        let body = complete_multipart_upload(&[(1, "\"a1\"".into()), (2, "\"b<2\"".into())]);
        assert_eq!(
            body,
            r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;a1&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&quot;b&lt;2&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#
        );
        assert_eq!(
            root_name(body.as_bytes()).as_deref(),
            Some("CompleteMultipartUpload")
        );
        assert_eq!(
            create_bucket_configuration("eu-west-1"),
            r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
        );
    }

    #[test]
    fn error_documents() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>
<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        let e = error_document(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("NoSuchKey"));
        assert_eq!(
            e.message.as_deref(),
            Some("The resource you requested does not exist")
        );
        let e = error_document(
            b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>m &amp; n</Message><Region>eu-west-1</Region></Error>",
        )
        .unwrap();
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert_eq!(e.message.as_deref(), Some("m & n"));
        assert!(error_document(b"<ListBucketResult/>").is_none());
        assert!(error_document(b"").is_none());
        assert!(error_document(b"not xml").is_none());
    }
}
