//! The data of every `Store`: what one call of one driver may reach.

use super::bindings::paddock::driver as wit;
use crate::capabilities::{GuestOutput, HttpPolicy, SlotFolder, SlotState, TcpPolicy};
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// What the host lends one slot's calls; shared by all calls of the slot.
#[derive(Clone)]
pub struct CallContext {
    /// The slot's name, for logs and errors.
    pub slot: String,
    /// Settings after config, environment fallback and defaults.
    pub settings: Arc<BTreeMap<String, String>>,
    /// The slot's key-value store, when the driver asked for it and was granted it.
    pub state: Option<Arc<SlotState>>,
    /// Outbound HTTP policy of the slot.
    pub http: Arc<HttpPolicy>,
    /// Outbound TCP policy of the slot.
    pub tcp: Arc<TcpPolicy>,
    /// The slot's folder, when the driver asks for one.
    pub folder: Option<SlotFolder>,
}

impl CallContext {
    /// A context that lends nothing (used for `describe` and inspection).
    pub fn empty(label: &str) -> Self {
        CallContext {
            slot: label.to_string(),
            settings: Arc::default(),
            state: None,
            http: Arc::new(HttpPolicy::deny_all(label)),
            tcp: Arc::default(),
            folder: None,
        }
    }
}

/// A folder lent read-only to one call (a deploy's source), seen by the
/// driver at `guest`.
#[derive(Debug, Clone)]
pub struct LentFolder {
    /// The folder on this machine.
    pub host: std::path::PathBuf,
    /// Where the driver sees it (`/source`).
    pub guest: String,
}

/// The `T` of every `Store<T>`.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: WasiHttpCtx,
    pub(crate) context: CallContext,
    pub(crate) http_hooks: crate::capabilities::HttpHooks,
    pub(crate) limits: StoreLimits,
    pub(crate) stdout: GuestOutput,
    pub(crate) stderr: GuestOutput,
    /// When the call last made progress the host can see (started, or moved
    /// a chunk of a streamed body). The deadline counts from here, so a long
    /// transfer lives while bytes flow and a stuck guest is stopped.
    pub(crate) last_progress: std::time::Instant,
    /// Why outbound requests of this call were denied, to tell the caller.
    pub(crate) http_denials: Arc<std::sync::Mutex<Vec<String>>>,
}

impl HostState {
    /// A store's data for one call: no environment, no arguments, no stdin,
    /// no preopened folders, no sockets; output captured for the log.
    pub fn new(
        context: CallContext,
        limits: &super::Limits,
        lent: &[LentFolder],
    ) -> anyhow::Result<Self> {
        let stdout = GuestOutput::new(limits.max_guest_output);
        let stderr = GuestOutput::new(limits.max_guest_output);
        let mut builder = WasiCtx::builder();
        builder.stdout(stdout.clone()).stderr(stderr.clone());
        crate::capabilities::apply_tcp(&mut builder, &context.tcp);
        if let Some(folder) = &context.folder {
            let perms = match folder.access {
                super::FolderAccess::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
                super::FolderAccess::ReadWrite => wasmtime_wasi::FsPerms::ReadWrite,
            };
            builder
                .preopened_dir(&folder.host, crate::capabilities::FOLDER_GUEST_PATH, perms)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open the slot's folder {}: {e}",
                        folder.host.display()
                    )
                })?;
        }
        for folder in lent {
            builder
                .preopened_dir(
                    &folder.host,
                    &folder.guest,
                    wasmtime_wasi::FsPerms::ReadOnly,
                )
                .map_err(|e| anyhow::anyhow!("cannot lend {}: {e}", folder.host.display()))?;
        }
        let wasi = builder.build();
        let http_denials = Arc::new(std::sync::Mutex::new(Vec::new()));
        let http_hooks =
            crate::capabilities::HttpHooks::new(context.http.clone(), http_denials.clone());
        Ok(HostState {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            context,
            http_hooks,
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.max_memory_bytes)
                .instances(64)
                .tables(64)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            stdout,
            stderr,
            last_progress: std::time::Instant::now(),
            http_denials,
        })
    }

    /// What the host denied this call (outbound requests), for error messages.
    pub fn denials(&self) -> Vec<String> {
        self.http_denials.lock().unwrap().clone()
    }

    /// Records progress: the deadline starts again from now.
    pub fn progressed(&mut self) {
        self.last_progress = std::time::Instant::now();
    }

    /// Logs what the guest wrote to stdout and stderr, labelled with the slot.
    pub fn flush_output(&self) {
        self.stdout.log(&self.context.slot, "stdout");
        self.stderr.log(&self.context.slot, "stderr");
    }

    /// The resource table (host resources lent to the guest).
    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

/// The linker every driver is instantiated with: WASI (denying by default),
/// `wasi:http` behind the slot's policy, and paddock's own interfaces.
pub(crate) fn linker(engine: &Engine) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wit::settings::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::state::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::secrets::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::body::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::types::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    Ok(linker)
}
