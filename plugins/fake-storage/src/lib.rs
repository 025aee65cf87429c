//! `fake_storage`: an in-memory object store for tests and CI. Everything
//! lives in the slot's `state` store (the daemon's memory), because the host
//! makes a fresh instance for every call. The verbs are in plain modules
//! over [`Store`] so they are unit-tested natively; this file only adapts
//! them to the WIT.

mod containers;
mod layout;
mod names;
mod objects;
mod reader;

use paddock_sdk::state::{HostStore, Store};
use paddock_sdk::storage::*;
use paddock_sdk::time::now_ms;

use reader::BytesReader;

struct FakeStorage;

impl Driver for FakeStorage {
    type ObjectReader = BytesReader;

    fn describe() -> Manifest {
        Manifest {
            name: "fake_storage".into(),
            aliases: vec![],
            version: "0.1.0".into(),
            domain: Domain::Storage,
            description: "In-memory fake object storage for tests and CI. Containers and objects \
                live in the daemon's memory and are lost when it stops. Container 'default' always \
                exists; other containers must be created first. Objects up to 64 MiB; etags are \
                the hex SHA-256 of the content."
                .into(),
            settings: vec![],
            capabilities: Capabilities::none().with_state(),
            concurrency: Concurrency::Serialized,
        }
    }

    fn put(
        container: String,
        key: String,
        body: &BodySource,
        options: PutOptions,
    ) -> Result<ObjectMeta> {
        let mut store = HostStore;
        objects::check_put(&store, &container, &key, &options, body.size())?;
        let bytes = read_all(body, objects::MAX_OBJECT_BYTES)?;
        objects::put(&mut store, &container, &key, &bytes, options, now_ms())
    }

    fn get(container: String, key: String, range: Option<ByteRange>) -> Result<ObjectContent> {
        let (meta, offset, bytes) = objects::get(&HostStore, &container, &key, range)?;
        Ok(ObjectContent {
            meta,
            offset,
            length: bytes.len() as u64,
            body: ObjectReaderHandle::new(BytesReader::new(bytes)),
        })
    }

    fn head(container: String, key: String) -> Result<ObjectMeta> {
        objects::head(&HostStore, &container, &key)
    }

    fn delete(container: String, key: String) -> Result<()> {
        objects::delete(&mut HostStore, &container, &key)
    }

    fn list(
        container: String,
        prefix: Option<String>,
        delimiter: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<ObjectPage> {
        objects::list(&HostStore, &container, prefix, delimiter, cursor, limit)
    }

    fn create_container(name: String) -> Result<()> {
        containers::create(&mut HostStore, &name, now_ms())
    }

    fn list_containers() -> Result<Vec<ContainerInfo>> {
        containers::list(&HostStore)
    }

    fn delete_container(name: String) -> Result<()> {
        containers::delete(&mut HostStore, &name)
    }

    fn health() -> Result<HealthReport> {
        let store: &dyn Store = &HostStore;
        Ok(HealthReport {
            healthy: true,
            message: Some("in-memory fake storage".into()),
            details: vec![("containers".into(), containers::count(store).to_string())],
        })
    }
}

export_storage_driver!(FakeStorage);
