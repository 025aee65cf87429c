//! The state key layout and the records stored under it.
//!
//! - `c/<container>` → [`ContainerRecord`] (JSON)
//! - `m/<container>/<key>` → [`ObjectRecord`] (JSON): the object's metadata;
//!   writing it is the commit point of a `put`
//! - `b/<container>/<etag>/<key>` → the object's bytes. The etag in the key
//!   means a `put` writes new bytes beside the old ones and switches by
//!   rewriting the metadata, so no reader sees a half-replaced object.

use paddock_sdk::storage::ObjectMeta;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub created_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub modified_ms: u64,
}

impl ObjectRecord {
    pub fn to_meta(&self, key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size: self.size,
            etag: self.etag.clone(),
            content_type: self.content_type.clone(),
            modified_ms: self.modified_ms,
            metadata: self.metadata.clone(),
        }
    }
}

pub fn container_key(container: &str) -> String {
    format!("c/{container}")
}

/// The prefix of every object of a container in the metadata space.
pub fn meta_prefix(container: &str) -> String {
    format!("m/{container}/")
}

pub fn meta_key(container: &str, key: &str) -> String {
    format!("m/{container}/{key}")
}

pub fn blob_prefix(container: &str) -> String {
    format!("b/{container}/")
}

pub fn blob_key(container: &str, etag: &str, key: &str) -> String {
    format!("b/{container}/{etag}/{key}")
}

pub use paddock_sdk::state::{load_json as load, save_json as save};
