//! The one `Engine` of the daemon, its settings, and the epoch ticker that
//! enforces per-call deadlines.

use super::host_state::HostState;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Per-call resource limits. Defaults suit the reference drivers; the
/// operator may raise them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time a call may run guest code before it is stopped.
    pub call_deadline: Duration,
    /// Largest linear memory a driver instance may grow to.
    pub max_memory_bytes: usize,
    /// Instances alive at once across all slots (pooling allocator slots).
    pub max_instances: u32,
    /// Bytes of stdout/stderr kept from one call for the log.
    pub max_guest_output: usize,
    /// Bytes the `state` capability keeps per slot.
    pub max_state_bytes: usize,
    /// Calls of one slot running at once.
    pub slot_concurrency: usize,
    /// Calls of one slot waiting for a turn; beyond it calls are refused
    /// with `unavailable` and a retry-after.
    pub slot_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_deadline: Duration::from_secs(60),
            max_memory_bytes: 512 << 20,
            max_instances: 256,
            max_guest_output: 64 << 10,
            max_state_bytes: 256 << 20,
            slot_concurrency: 64,
            slot_queue: 256,
        }
    }
}

impl Limits {
    /// The defaults, with `PADDOCK_CALL_DEADLINE_MS`, `PADDOCK_MAX_MEMORY_MB`,
    /// `PADDOCK_SLOT_CONCURRENCY` and `PADDOCK_SLOT_QUEUE` applied when set.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut limits = Limits::default();
        let read = |name: &str| -> anyhow::Result<Option<u64>> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a whole number")),
                Err(_) => Ok(None),
            }
        };
        if let Some(ms) = read("PADDOCK_CALL_DEADLINE_MS")? {
            limits.call_deadline = Duration::from_millis(ms.max(1));
        }
        if let Some(mb) = read("PADDOCK_MAX_MEMORY_MB")? {
            limits.max_memory_bytes = (mb.max(1) as usize) << 20;
        }
        if let Some(n) = read("PADDOCK_SLOT_CONCURRENCY")? {
            limits.slot_concurrency = n.max(1) as usize;
        }
        if let Some(n) = read("PADDOCK_SLOT_QUEUE")? {
            limits.slot_queue = n as usize;
        }
        Ok(limits)
    }
}

/// The engine, the linker every driver is instantiated with, and the limits.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) limits: Limits,
    _ticker: Arc<EpochTicker>,
}

impl Runtime {
    /// Builds the engine: pooling allocator, epoch interruption, no
    /// component-model concurrency (it costs every sync call; see ARCHITECTURE.md).
    pub fn new(limits: Limits) -> anyhow::Result<Self> {
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(limits.max_instances)
            // wit-bindgen components hold a few core instances each.
            .total_core_instances(limits.max_instances * 8)
            .total_memories(limits.max_instances * 2)
            .total_tables(limits.max_instances * 4)
            .total_stacks(limits.max_instances)
            .max_memory_size(limits.max_memory_bytes);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .concurrency_support(false)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = Engine::new(&config)?;
        let linker = super::host_state::linker(&engine)?;
        let ticker = Arc::new(EpochTicker::start(engine.clone()));
        Ok(Runtime {
            engine,
            linker,
            limits,
            _ticker: ticker,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// A thread that advances the engine's epoch; stops when dropped.
struct EpochTicker {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("paddock-epoch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
