//! `s3`: object storage on Amazon S3 and S3-compatible servers (MinIO, R2,
//! Garage, Ceph…). A container is a bucket.
//!
//! The driver never holds the secret key: every request carries an
//! `x-paddock-sign` header naming the secrets `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, and the host signs it with AWS SigV4 (see
//! `config::SIGN_HEADER` and `ops`). Requests follow the S3 Smithy model
//! (`ops`), responses are read with `quick-xml` (`xml`) and refusals become
//! the WIT error cases (`errors`). No state: calls run in parallel.
//!
//! The verbs are plain functions over the `client::Transport` and
//! `client::Body` traits, unit-tested natively against a scripted S3; this
//! file only adapts them to the WIT.

mod client;
mod config;
mod containers;
mod dates;
mod errors;
mod multipart;
mod names;
mod objects;
mod ops;
mod reader;
mod xml;

use paddock_sdk::storage::*;

use client::WasiHttp;
use config::{ACCESS_KEY_ID_SECRET, Config, SECRET_ACCESS_KEY_SECRET};
use reader::S3Reader;

struct S3Storage;

impl Driver for S3Storage {
    type ObjectReader = S3Reader;

    fn describe() -> Manifest {
        Manifest {
            name: "s3".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Storage,
            description: "Amazon S3 and S3-compatible object storage (MinIO, R2, Garage, Ceph). \
                Containers are buckets. The host signs every request with AWS SigV4 using the \
                secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which the slot must grant, \
                together with the endpoint's origin (https://*.s3.<region>.amazonaws.com for \
                virtual-hosted buckets). Large or unsized bodies are uploaded in parts; gets \
                stream. Listings carry no content type or metadata (S3 does not return them)."
                .into(),
            settings: config::declared(),
            capabilities: Capabilities::none()
                .with_http(["https://*:*", "http://*:*"])
                .with_secrets([ACCESS_KEY_ID_SECRET, SECRET_ACCESS_KEY_SECRET]),
            concurrency: Concurrency::Parallel,
        }
    }

    fn put(
        container: String,
        key: String,
        body: &BodySource,
        options: PutOptions,
    ) -> Result<ObjectMeta> {
        objects::put(
            &WasiHttp,
            &Config::load()?,
            &container,
            &key,
            body,
            &options,
        )
    }

    fn get(container: String, key: String, range: Option<ByteRange>) -> Result<ObjectContent> {
        let got = objects::get(&WasiHttp, &Config::load()?, &container, &key, range)?;
        Ok(ObjectContent {
            meta: got.meta,
            offset: got.offset,
            length: got.length,
            body: ObjectReaderHandle::new(got.reader),
        })
    }

    fn head(container: String, key: String) -> Result<ObjectMeta> {
        objects::head(&WasiHttp, &Config::load()?, &container, &key)
    }

    fn delete(container: String, key: String) -> Result<()> {
        objects::delete(&WasiHttp, &Config::load()?, &container, &key)
    }

    fn list(
        container: String,
        prefix: Option<String>,
        delimiter: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ObjectPage> {
        objects::list(
            &WasiHttp,
            &Config::load()?,
            &container,
            prefix.as_deref(),
            delimiter.as_deref(),
            cursor.as_deref(),
            limit,
        )
    }

    fn create_container(name: String) -> Result<()> {
        containers::create(&WasiHttp, &Config::load()?, &name)
    }

    fn list_containers() -> Result<Vec<ContainerInfo>> {
        containers::list(&WasiHttp, &Config::load()?)
    }

    fn delete_container(name: String) -> Result<()> {
        containers::delete(&WasiHttp, &Config::load()?, &name)
    }

    fn health() -> Result<HealthReport> {
        containers::health(&WasiHttp, &Config::load()?)
    }
}

export_storage_driver!(S3Storage);
