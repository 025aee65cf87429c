//! The slot's settings, and where a request for a bucket or an object goes.
//!
//! Addressing: virtual-hosted style (`https://<bucket>.<endpoint host>/<key>`)
//! unless `force_path_style` is set, the endpoint's host is an IP address or
//! `localhost` (MinIO and other local servers), or the bucket name cannot be
//! a host name label (upper case, `_`, or dots over `https`, which the
//! endpoint's wildcard certificate would not cover); path style
//! (`https://<endpoint host>/<bucket>/<key>`) otherwise.

use paddock_sdk::http::{Url, percent_encode};
use paddock_sdk::{Error, Result, Setting};

/// The secrets the manifest asks for; the host signs with them.
pub const ACCESS_KEY_ID_SECRET: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY_SECRET: &str = "AWS_SECRET_ACCESS_KEY";
/// The request header that asks the host for an AWS SigV4 signature.
pub const SIGN_HEADER: &str = "x-paddock-sign";

const MIB: u64 = 1 << 20;
const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_THRESHOLD_MB: u64 = 16;
const DEFAULT_PART_MB: u64 = 8;
/// S3's smallest part (all but the last).
pub const MIN_PART_MB: u64 = 5;
/// Parts are buffered in guest memory (to hash them); this keeps a call well
/// inside the host's memory limit (512 MiB by default).
pub const MAX_PART_MB: u64 = 128;

/// The resolved settings of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub endpoint: Url,
    pub region: String,
    /// Path style for every bucket.
    pub path_style: bool,
    /// Bodies of at least this many bytes (or of unknown size, once they
    /// reach a part) go up as multipart uploads.
    pub multipart_threshold: u64,
    /// The size of each part but the last.
    pub part_size: u64,
}

/// The settings the manifest declares.
pub fn declared() -> Vec<Setting> {
    let setting =
        |name: &str, description: &str, env: Option<&str>, default: Option<&str>, schema: &str| {
            Setting {
                name: name.into(),
                description: description.into(),
                required: false,
                env: env.map(Into::into),
                default_value: default.map(Into::into),
                schema: Some(schema.into()),
            }
        };
    vec![
        setting(
            "endpoint",
            "S3 endpoint URL without a path (http://127.0.0.1:9000 for a local MinIO); \
             default https://s3.<region>.amazonaws.com. The slot must grant its origin \
             (for virtual-hosted style, *.<host>)",
            Some("S3_ENDPOINT"),
            None,
            r#"{"type":"string","pattern":"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@]+/?$"}"#,
        ),
        setting(
            "region",
            "Region the host signs requests for, and where new buckets are created",
            Some("AWS_REGION"),
            Some(DEFAULT_REGION),
            r#"{"type":"string","pattern":"^[A-Za-z0-9_-]+$"}"#,
        ),
        setting(
            "force_path_style",
            "true: address buckets as <endpoint>/<bucket> (MinIO and most S3-compatible \
             servers); automatic when the endpoint is an IP address or localhost",
            Some("S3_FORCE_PATH_STYLE"),
            Some("false"),
            r#"{"type":"string","enum":["true","false"]}"#,
        ),
        setting(
            "multipart_threshold_mb",
            "Objects of at least this many MiB (or of unknown size larger than one part) \
             are uploaded in parts",
            None,
            Some("16"),
            r#"{"type":"string","pattern":"^[0-9]+$"}"#,
        ),
        setting(
            "part_size_mb",
            "Size of each uploaded part in MiB (5 to 128); each part is held in memory while it is sent",
            None,
            Some("8"),
            r#"{"type":"string","pattern":"^[0-9]+$"}"#,
        ),
    ]
}

impl Config {
    /// From the slot's settings.
    pub fn load() -> Result<Config> {
        Self::from_lookup(paddock_sdk::settings::get)
    }

    /// From `get(setting)`; unset settings take their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let bad = |name: &str, value: &str, rule: &str| {
            Error::invalid_input(format!("setting '{name}' = '{value}': {rule}"))
        };
        let region = get("region").unwrap_or_else(|| DEFAULT_REGION.into());
        if !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return Err(bad("region", &region, "letters, digits, '-' and '_' only"));
        }
        let endpoint_text = get("endpoint").unwrap_or_else(|| default_endpoint(&region));
        let endpoint = Url::parse(endpoint_text.trim())
            .map_err(|e| bad("endpoint", &endpoint_text, e.message()))?;
        if endpoint.path_and_query() != "/" {
            return Err(bad(
                "endpoint",
                &endpoint_text,
                "an endpoint has no path or query: write scheme://host[:port]",
            ));
        }
        let forced = match get("force_path_style").as_deref().map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(v) => return Err(bad("force_path_style", v, "write true or false")),
        };
        let mb = |name: &str, default: u64| -> Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| bad(name, &v, "a whole number of MiB")),
            }
        };
        let threshold_mb = mb("multipart_threshold_mb", DEFAULT_THRESHOLD_MB)?;
        let part_mb = mb("part_size_mb", DEFAULT_PART_MB)?;
        if !(MIN_PART_MB..=MAX_PART_MB).contains(&part_mb) {
            return Err(bad(
                "part_size_mb",
                &part_mb.to_string(),
                &format!("between {MIN_PART_MB} and {MAX_PART_MB}"),
            ));
        }
        if threshold_mb > MAX_PART_MB {
            return Err(bad(
                "multipart_threshold_mb",
                &threshold_mb.to_string(),
                &format!(
                    "at most {MAX_PART_MB}: a smaller object is held in memory while it is sent"
                ),
            ));
        }
        let path_style = forced || is_local_host(endpoint.host());
        Ok(Config {
            endpoint,
            region,
            path_style,
            multipart_threshold: threshold_mb * MIB,
            part_size: part_mb * MIB,
        })
    }

    /// The value of [`SIGN_HEADER`]: which secrets the host signs with.
    pub fn sign_header(&self) -> String {
        format!(
            "aws-sigv4; access-key-id={ACCESS_KEY_ID_SECRET}; \
             secret-access-key={SECRET_ACCESS_KEY_SECRET}; region={}; service=s3",
            self.region
        )
    }

    /// The service itself (`ListBuckets`): `<endpoint>/?<query>`.
    pub fn service_url(&self, query: &str) -> String {
        with_query(format!("{}/", self.endpoint.origin()), query)
    }

    /// A bucket: `https://<bucket>.<host>/?<query>` or `https://<host>/<bucket>?<query>`.
    pub fn bucket_url(&self, bucket: &str, query: &str) -> String {
        let base = if self.virtual_host(bucket) {
            format!("{}/", self.bucket_origin(bucket))
        } else {
            format!("{}/{bucket}", self.endpoint.origin())
        };
        with_query(base, query)
    }

    /// An object: the bucket's URL plus the key, each byte but the unreserved
    /// ones and `/` percent-encoded, as S3 and SigV4 encode paths.
    pub fn object_url(&self, bucket: &str, key: &str, query: &str) -> String {
        let key = percent_encode(key, true);
        let base = if self.virtual_host(bucket) {
            format!("{}/{key}", self.bucket_origin(bucket))
        } else {
            format!("{}/{bucket}/{key}", self.endpoint.origin())
        };
        with_query(base, query)
    }

    /// `virtual-host` or `path`, for the health details.
    pub fn addressing(&self) -> &'static str {
        if self.path_style {
            "path"
        } else {
            "virtual-host"
        }
    }

    fn bucket_origin(&self, bucket: &str) -> String {
        let port = self
            .endpoint
            .port()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!(
            "{}://{bucket}.{}{port}",
            self.endpoint.scheme(),
            self.endpoint.host()
        )
    }

    /// Whether `bucket` is addressed by host name.
    fn virtual_host(&self, bucket: &str) -> bool {
        !self.path_style
            && is_dns_label_name(bucket)
            && !(self.endpoint.scheme() == "https" && bucket.contains('.'))
    }
}

fn default_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") { ".cn" } else { "" };
    format!("https://s3.{region}.amazonaws.com{suffix}")
}

fn with_query(base: String, query: &str) -> String {
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// An IP literal or `localhost`: no bucket subdomains there.
fn is_local_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with('[')
        || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// A bucket name that can be a host name: 3 to 63 of `a-z 0-9 . -`, letters
/// or digits at both ends and around dots, and not an IPv4 address.
fn is_dns_label_name(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && bucket.parse::<std::net::Ipv4Addr>().is_err()
}

/// A config from literal settings, for tests.
#[cfg(test)]
pub fn config(pairs: &[(&str, &str)]) -> Result<Config> {
    Config::from_lookup(|name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_region() {
        let c = config(&[]).unwrap();
        assert_eq!(c.endpoint.origin(), "https://s3.us-east-1.amazonaws.com");
        assert_eq!((c.region.as_str(), c.path_style), ("us-east-1", false));
        assert_eq!((c.multipart_threshold, c.part_size), (16 * MIB, 8 * MIB));
        let c = config(&[("region", "eu-west-3")]).unwrap();
        assert_eq!(c.endpoint.origin(), "https://s3.eu-west-3.amazonaws.com");
        let c = config(&[("region", "cn-north-1")]).unwrap();
        assert_eq!(
            c.endpoint.origin(),
            "https://s3.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            c.sign_header(),
            "aws-sigv4; access-key-id=AWS_ACCESS_KEY_ID; secret-access-key=AWS_SECRET_ACCESS_KEY; \
             region=cn-north-1; service=s3"
        );
    }

    #[test]
    fn virtual_hosted_style_by_default() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.object_url("photos", "2024/a b+c%.jpg", "x-id=GetObject"),
            "https://photos.s3.us-east-1.amazonaws.com/2024/a%20b%2Bc%25.jpg?x-id=GetObject"
        );
        assert_eq!(
            c.bucket_url("photos", "list-type=2"),
            "https://photos.s3.us-east-1.amazonaws.com/?list-type=2"
        );
        assert_eq!(
            c.service_url("x-id=ListBuckets"),
            "https://s3.us-east-1.amazonaws.com/?x-id=ListBuckets"
        );
        // Names a host name cannot carry (or a wildcard certificate cover) fall back to path style.
        assert_eq!(
            c.object_url("my.photos", "k", ""),
            "https://s3.us-east-1.amazonaws.com/my.photos/k"
        );
        assert_eq!(
            c.bucket_url("Legacy_Bucket", ""),
            "https://s3.us-east-1.amazonaws.com/Legacy_Bucket"
        );
        let http = config(&[("endpoint", "http://s3.internal.example:8080")]).unwrap();
        assert_eq!(
            http.object_url("my.photos", "ü", ""),
            "http://my.photos.s3.internal.example:8080/%C3%BC"
        );
    }

    #[test]
    fn path_style_when_forced_or_local() {
        for (endpoint, forced) in [
            ("http://127.0.0.1:9000", "false"),
            ("http://localhost:9000/", "false"),
            ("http://[::1]:9000", "false"),
            ("https://minio.example.com", "true"),
        ] {
            let c = config(&[("endpoint", endpoint), ("force_path_style", forced)]).unwrap();
            assert!(c.path_style, "{endpoint}");
            let origin = c.endpoint.origin();
            assert_eq!(
                c.object_url("photos", "a/b.txt", "uploads"),
                format!("{origin}/photos/a/b.txt?uploads")
            );
            assert_eq!(c.bucket_url("photos", ""), format!("{origin}/photos"));
            assert_eq!(c.addressing(), "path");
        }
    }

    #[test]
    fn bad_settings_name_themselves() {
        for (pairs, name) in [
            (&[("endpoint", "s3.example.com")][..], "endpoint"),
            (
                &[("endpoint", "https://s3.example.com/prefix")][..],
                "endpoint",
            ),
            (&[("endpoint", "ftp://s3.example.com")][..], "endpoint"),
            (&[("region", "eu west")][..], "region"),
            (&[("force_path_style", "maybe")][..], "force_path_style"),
            (&[("part_size_mb", "4")][..], "part_size_mb"),
            (&[("part_size_mb", "129")][..], "part_size_mb"),
            (&[("part_size_mb", "lots")][..], "part_size_mb"),
            (
                &[("multipart_threshold_mb", "1000")][..],
                "multipart_threshold_mb",
            ),
        ] {
            let e = config(pairs).unwrap_err();
            assert_eq!(e.kind(), "invalid-input");
            assert!(e.message().contains(name), "{}", e.message());
        }
        // Empty values count as unset.
        assert_eq!(config(&[("region", " ")]).unwrap().region, "us-east-1");
    }

    #[test]
    fn declared_settings_match_what_is_read() {
        let names: Vec<String> = declared().into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "endpoint",
                "region",
                "force_path_style",
                "multipart_threshold_mb",
                "part_size_mb"
            ]
        );
        for s in declared() {
            if let Some(d) = &s.default_value {
                assert!(config(&[(&s.name, d)]).is_ok(), "{}", s.name);
            }
        }
    }
}
