//! The `storage-driver` world: implement [`Driver`] (with an
//! [`ObjectReader`] type for `get`), then
//! `paddock_sdk::export_storage_driver!(YourType);`.

pub use crate::bindings::common::paddock::driver::body::BodySource;
pub use crate::bindings::storage::export_storage_driver;
/// The handle type `get` returns: wrap your reader with `ObjectReaderHandle::new(reader)`.
pub use crate::bindings::storage::exports::paddock::driver::storage::ObjectReader as ObjectReaderHandle;
pub use crate::bindings::storage::exports::paddock::driver::storage::{
    ByteRange, ContainerInfo, Guest as Driver, GuestObjectReader as ObjectReader, ObjectContent,
    ObjectMeta, ObjectPage, PutOptions,
};
pub use crate::cursor::Cursor;
pub use crate::{
    Capabilities, Concurrency, Domain, Error, FolderAccess, HealthReport, Manifest, Result, Setting,
};

/// Reads a whole body into memory. Only for drivers whose backend cannot
/// stream (a fake); real drivers pull chunk by chunk.
pub fn read_all(body: &BodySource, limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.read(64 * 1024)? {
        out.extend_from_slice(&chunk);
        if out.len() as u64 > limit {
            return Err(Error::quota_exceeded(format!(
                "body is larger than this driver's limit of {limit} bytes"
            )));
        }
    }
    Ok(out)
}
