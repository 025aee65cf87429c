//! `local`: object storage in the slot's folder, which the host lends at
//! `/data` (the operator's folder grant, or the slot's private folder).
//!
//! # Layout
//!
//! ```text
//! /data/
//!   <container>/                 a container (name rules: keys::check_container)
//!     container.json             {"created_ms": …}
//!     objects/                   the keys, one folder level per segment
//!       photos.dir/2024.dir/^i^m^g_1.jpg.obj    key photos/2024/IMG_1.jpg
//!     tmp/<random>.part          puts in flight
//!   .local-storage/              the driver's own: staging/ (containers being
//!                                created), trash/ (being deleted), probe/
//! ```
//!
//! How keys become names is in `layout.rs` (an escaped lowercase alphabet, so
//! case-insensitive file systems cannot merge two keys, and long segments
//! continued one level down); an object file holds the content followed by
//! its metadata (`record.rs`).
//!
//! # Concurrency
//!
//! Calls run in parallel, each in its own instance, and WASI has no file
//! locks, so every change is one atomic rename or unlink: a put renames a
//! complete, synced temporary file over the object (content and metadata
//! together), a container is created and deleted by renaming its whole
//! folder. Readers keep the file they opened, so they see one version whole.
//!
//! The verbs are plain modules over a `layout::Root` (a temporary folder
//! in the native unit tests); this file only adapts them to the WIT.

mod containers;
mod fsx;
mod health;
mod keys;
mod layout;
mod list;
mod objects;
mod reader;
mod record;
#[cfg(test)]
mod testing;

use paddock_sdk::storage::*;
use paddock_sdk::time::now_ms;

use layout::Root;
use objects::Body;
use reader::FileReader;

/// Where the host lends the slot's folder.
const ROOT: &str = "/data";

fn root() -> Root {
    Root::new(ROOT)
}

/// The host's body, pulled chunk by chunk.
struct HostBody<'a>(&'a BodySource);

impl Body for HostBody<'_> {
    fn read(&mut self, max: u32) -> Result<Option<Vec<u8>>> {
        self.0.read(max)
    }
}

struct LocalStorage;

impl Driver for LocalStorage {
    type ObjectReader = FileReader;

    fn describe() -> Manifest {
        Manifest {
            name: "local".into(),
            aliases: vec![],
            version: env!("CARGO_PKG_VERSION").into(),
            domain: Domain::Storage,
            description: "Object storage on this machine's disk, in the slot's folder: each \
                container is a folder, each object one file written atomically (temporary file, \
                sync, rename) with its metadata. Etags are the hex SHA-256 of the content. \
                Containers must be created first; names are 3 to 63 of a-z, 0-9, '.' and '-'. \
                Needs the folder read-write."
                .into(),
            settings: vec![],
            capabilities: Capabilities::none().with_folder(FolderAccess::ReadWrite),
            concurrency: Concurrency::Parallel,
        }
    }

    fn put(
        container: String,
        key: String,
        body: &BodySource,
        options: PutOptions,
    ) -> Result<ObjectMeta> {
        objects::put(&root(), &container, &key, &mut HostBody(body), options)
    }

    fn get(container: String, key: String, range: Option<ByteRange>) -> Result<ObjectContent> {
        let served = objects::get(&root(), &container, &key, range)?;
        Ok(ObjectContent {
            meta: served.meta,
            offset: served.offset,
            length: served.length,
            body: ObjectReaderHandle::new(served.reader),
        })
    }

    fn head(container: String, key: String) -> Result<ObjectMeta> {
        objects::head(&root(), &container, &key)
    }

    fn delete(container: String, key: String) -> Result<()> {
        objects::delete(&root(), &container, &key)
    }

    fn list(
        container: String,
        prefix: Option<String>,
        delimiter: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ObjectPage> {
        list::list(&root(), &container, prefix, delimiter, cursor, limit)
    }

    fn create_container(name: String) -> Result<()> {
        containers::create(&root(), &name, now_ms())
    }

    fn list_containers() -> Result<Vec<ContainerInfo>> {
        containers::list(&root())
    }

    fn delete_container(name: String) -> Result<()> {
        containers::delete(&root(), &name)
    }

    fn health() -> Result<HealthReport> {
        health::health(&root())
    }
}

export_storage_driver!(LocalStorage);
