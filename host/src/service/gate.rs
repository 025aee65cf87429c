//! Per-slot admission: at most `slot_concurrency` calls of a slot run at
//! once and at most `slot_queue` wait; a call beyond that is refused at once
//! with `unavailable` and a retry-after, instead of piling up behind a slow
//! vendor. Gates are kept across reloads, like serialized slots' locks.

use crate::error::{CallError, ErrorKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a refused caller is told to wait.
const RETRY_AFTER_MS: u64 = 100;

/// The gate of one slot.
pub struct Gate {
    running: Arc<Semaphore>,
    concurrency: usize,
    waiting: AtomicUsize,
    queue: usize,
}

impl Gate {
    /// A gate letting `concurrency` calls run and `queue` wait.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        Gate {
            running: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// A turn for one call, held until the permit is dropped.
    pub async fn enter(&self, slot: &str) -> Result<OwnedSemaphorePermit, CallError> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        if waiting >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            let mut e = CallError::new(
                ErrorKind::Unavailable,
                format!(
                    "slot '{slot}' is saturated: {} calls running and {} waiting (PADDOCK_SLOT_CONCURRENCY, PADDOCK_SLOT_QUEUE); retry shortly",
                    self.concurrency, self.queue
                ),
            );
            e.retry_after_ms = Some(RETRY_AFTER_MS);
            return Err(e);
        }
        let permit = self.running.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| CallError::new(ErrorKind::Unavailable, "the daemon is stopping"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_beyond_running_plus_queue() {
        let gate = Arc::new(Gate::new(1, 1));
        let first = gate.enter("db").await.unwrap();
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter("db").await.map(drop) })
        };
        while gate.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = gate.enter("db").await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Unavailable);
        assert_eq!(refused.retry_after_ms, Some(RETRY_AFTER_MS));
        assert!(refused.message.contains("saturated"), "{}", refused.message);
        drop(first);
        waiter.await.unwrap().unwrap();
    }
}
