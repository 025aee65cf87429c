//! `paddock:driver/body`: request bodies lent to a driver as a pull stream,
//! read from the caller only as fast as the driver consumes them.

use crate::runtime::HostState;
use crate::runtime::wit::body::{Host, HostBodySource};
use crate::runtime::wit::types::Error as WitError;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use wasmtime::component::Resource;

/// A chunk stream from the caller; errors are the caller's transport errors.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The host side of a `body-source`.
pub struct BodySource {
    stream: ByteStream,
    pending: Bytes,
    size: Option<u64>,
    finished: bool,
}

impl BodySource {
    /// A body read from `stream`, `size` bytes long when known.
    pub fn new(stream: ByteStream, size: Option<u64>) -> Self {
        BodySource {
            stream,
            pending: Bytes::new(),
            size,
            finished: false,
        }
    }

    /// A body held in memory (small JSON-carried bodies).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let size = bytes.len() as u64;
        let stream = futures::stream::iter([Ok(Bytes::from(bytes))]);
        BodySource::new(Box::pin(stream), Some(size))
    }

    async fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, WitError> {
        let max = max.clamp(1, 4 << 20);
        while self.pending.is_empty() && !self.finished {
            match self.stream.next().await {
                Some(Ok(chunk)) => self.pending = chunk,
                Some(Err(err)) => {
                    return Err(WitError::Unavailable(
                        crate::runtime::wit::types::UnavailableError {
                            message: format!("reading the request body failed: {err}"),
                            retry_after_ms: None,
                        },
                    ));
                }
                None => self.finished = true,
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let take = max.min(self.pending.len());
        Ok(Some(self.pending.split_to(take).to_vec()))
    }
}

impl HostBodySource for HostState {
    async fn read(
        &mut self,
        this: Resource<BodySource>,
        max: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, WitError>> {
        let body = self.table.get_mut(&this)?;
        let chunk = body.read(max as usize).await;
        self.progressed();
        Ok(chunk)
    }

    async fn size(&mut self, this: Resource<BodySource>) -> wasmtime::Result<Option<u64>> {
        Ok(self.table.get(&this)?.size)
    }

    async fn drop(&mut self, this: Resource<BodySource>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl Host for HostState {}
