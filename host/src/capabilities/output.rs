//! Guest stdout/stderr: captured per call (bounded) and logged with the slot's
//! label, never passed through to the daemon's own streams.

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// A bounded capture of one guest output stream.
#[derive(Clone)]
pub struct GuestOutput(MemoryOutputPipe);

impl GuestOutput {
    /// Keeps at most `capacity` bytes; writes beyond fail in the guest.
    pub fn new(capacity: usize) -> Self {
        GuestOutput(MemoryOutputPipe::new(capacity))
    }

    /// Logs the captured text, one event per line.
    pub fn log(&self, slot: &str, stream: &str) {
        let bytes = self.0.contents();
        if bytes.is_empty() {
            return;
        }
        for line in String::from_utf8_lossy(&bytes).lines() {
            tracing::info!(target: "paddock::driver", slot, stream, "{line}");
        }
    }
}

impl GuestOutput {
    /// The last `n` non-empty lines written, joined with ` | ` (a panic message).
    pub fn tail(&self, n: usize) -> Option<String> {
        let bytes = self.0.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let start = lines.len().saturating_sub(n);
        (!lines.is_empty()).then(|| lines[start..].join(" | "))
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.0.clone())
    }
}
