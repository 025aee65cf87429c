//! The one facade the HTTP API, the MCP server and the CLI share: drivers
//! loaded from the plugins folder (`load.rs`), slots bound to them
//! (`registry.rs`), and calls (here).

mod gate;
mod load;
mod registry;
mod watch;

pub use registry::{Binding, GrantView, Registry, Slot, SlotView, builtin_domain};

use crate::capabilities::SlotState;
use crate::capabilities::body::BodySource;
use crate::domains::{self, storage};
use crate::error::{CallError, ErrorKind};
use crate::metrics::Metrics;
use crate::runtime::{Domain, Driver, Limits, Runtime};
use bytes::Bytes;
use futures::Stream;
use paddock_config::Config;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// A `get` in progress: the head now, the bytes as they are pulled.
pub struct ObjectDownload {
    /// The object's metadata.
    pub meta: Value,
    /// First byte served.
    pub offset: u64,
    /// Bytes served.
    pub length: u64,
    /// The bytes.
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

/// The daemon's engine, drivers and slots.
pub struct Service {
    runtime: Runtime,
    cache: crate::runtime::CodeCache,
    config: Config,
    /// Where secret values come from: the environment over the vault.
    secret_sources: paddock_config::Environment,
    registry: RwLock<Arc<Registry>>,
    states: Mutex<HashMap<String, Arc<SlotState>>>,
    /// The one-call-at-a-time lock of each serialized slot. Kept across
    /// reloads, so calls through an old binding and a new one never overlap.
    serials: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Each slot's admission gate (`gate.rs`), kept across reloads.
    gates: Mutex<HashMap<String, Arc<gate::Gate>>>,
    /// Bumped each time a (re)load installs a new registry.
    generation: tokio::sync::watch::Sender<u64>,
    /// Call metrics.
    pub metrics: Metrics,
}

impl Service {
    /// Builds the engine and loads every driver of the plugins folder.
    pub async fn start(config: Config, limits: Limits) -> anyhow::Result<Arc<Service>> {
        let runtime = Runtime::new(limits)?;
        // `PADDOCK_CACHE` lets daemons with their own data share compiled code.
        let cache_dir = match config.env.non_empty("PADDOCK_CACHE") {
            Some(dir) => std::path::PathBuf::from(dir),
            None => config.data_dir.join("cache"),
        };
        let cache = crate::runtime::CodeCache::new(Some(cache_dir));
        let secret_sources = secret_sources(&config)?;
        let service = Arc::new(Service {
            runtime,
            cache,
            config,
            secret_sources,
            registry: RwLock::new(Arc::new(Registry {
                drivers: BTreeMap::new(),
                load_errors: Vec::new(),
                slots: BTreeMap::new(),
            })),
            states: Mutex::default(),
            serials: Mutex::default(),
            gates: Mutex::default(),
            generation: tokio::sync::watch::Sender::new(0),
            metrics: Metrics::default(),
        });
        service.reload().await;
        Ok(service)
    }

    /// The environment laid over the secrets vault: where slots' secret
    /// values come from.
    pub fn secret_sources(&self) -> &paddock_config::Environment {
        &self.secret_sources
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The current drivers and slots.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().unwrap().clone()
    }

    /// (Re)loads the plugins folder and rebinds every slot. Calls in flight
    /// keep the registry they started with.
    pub async fn reload(&self) {
        let (mut drivers, mut load_errors) = self.load_drivers(&self.config.plugins_dir).await;
        self.keep_working_versions(&mut drivers, &mut load_errors);
        let mut slots = BTreeMap::new();
        for config in self.config.slots.values() {
            slots.insert(config.name.clone(), self.bind(config, &drivers).await);
        }
        let registry = Registry {
            drivers,
            load_errors,
            slots,
        };
        for (name, slot) in &registry.slots {
            match &slot.binding {
                Ok(b) => {
                    tracing::info!(slot = %name, driver = %b.driver.name(), source = %slot.config.driver_source.describe(), "slot ready")
                }
                Err(e) => tracing::error!(slot = %name, "{e}"),
            }
        }
        *self.registry.write().unwrap() = Arc::new(registry);
        self.generation.send_modify(|g| *g += 1);
    }

    /// A file that no longer loads (a half-copied or broken replacement) does
    /// not take its driver away: the version loaded before keeps serving, and
    /// the load error says so.
    fn keep_working_versions(
        &self,
        drivers: &mut BTreeMap<String, Arc<Driver>>,
        load_errors: &mut [(std::path::PathBuf, String)],
    ) {
        let previous = self.registry();
        for (path, reason) in load_errors.iter_mut() {
            let Some(old) = previous
                .unique_drivers()
                .into_iter()
                .find(|d| &d.path == path)
            else {
                continue;
            };
            let names: Vec<String> = std::iter::once(old.manifest.name.clone())
                .chain(old.manifest.aliases.iter().cloned())
                .collect();
            if names.iter().any(|n| drivers.contains_key(n)) {
                continue; // another file now provides that name
            }
            for name in names {
                drivers.insert(name, old.clone());
            }
            reason.push_str(&format!(
                "; still serving the version loaded before (sha256 {})",
                &old.sha256[..12.min(old.sha256.len())]
            ));
            tracing::warn!(driver = %old.name(), file = %path.display(), "kept the previously loaded version: the file does not load now");
        }
    }

    /// Wakes the receiver after every (re)load: it sees a new registry
    /// generation; [`Service::registry`] has the registry itself. Cheap: a
    /// surface that derives something from the registry (the MCP tool list)
    /// recomputes it then, and tells its clients when it changed.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// The binding of `slot`, or the error a call to it gets.
    pub fn binding(&self, slot: &str) -> Result<(Arc<Registry>, String), CallError> {
        let registry = self.registry();
        let name = paddock_config::canonical_slot_name(slot).to_string();
        match registry.slots.get(&name) {
            None => Err(CallError::new(
                ErrorKind::UnknownSlot,
                format!(
                    "no slot named '{slot}'; slots: {}",
                    registry
                        .slots
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Some(Slot {
                binding: Err(e), ..
            }) => Err(CallError::new(ErrorKind::DriverUnavailable, e.clone())),
            Some(_) => Ok((registry, name)),
        }
    }

    /// A turn of `slot` under its admission gate.
    async fn admit(&self, slot: &str) -> Result<tokio::sync::OwnedSemaphorePermit, CallError> {
        let gate = self
            .gates
            .lock()
            .unwrap()
            .entry(slot.to_string())
            .or_insert_with(|| {
                let limits = self.runtime.limits();
                Arc::new(gate::Gate::new(limits.slot_concurrency, limits.slot_queue))
            })
            .clone();
        gate.enter(slot).await
    }

    /// Calls `verb` of `slot` with JSON arguments; answers JSON.
    pub async fn call(&self, slot: &str, verb: &str, args: Value) -> Result<Value, CallError> {
        let (registry, name) = self.binding(slot)?;
        let binding = registry.slots[&name].binding.as_ref().expect("checked");
        let started = Instant::now();
        let _turn = match self.admit(&name).await {
            Ok(turn) => turn,
            Err(e) => {
                self.observe::<Value>(&name, binding, verb, started, &Err(e.clone()));
                return Err(e);
            }
        };
        let outcome = self.call_bound(&name, binding, verb, args).await;
        self.observe(&name, binding, verb, started, &outcome);
        outcome
    }

    async fn call_bound(
        &self,
        slot: &str,
        b: &Binding,
        verb_name: &str,
        args: Value,
    ) -> Result<Value, CallError> {
        let verb = find_verb(slot, &b.driver, verb_name)?;
        if b.driver.domain == Domain::Storage && verb.name == "put" {
            let body = storage::inline_body(&args)?.ok_or_else(|| {
                CallError::invalid("put needs the object's bytes: `body` (text) or `body_base64` in JSON, or send them raw with the arguments in the query string")
            })?;
            return self.put(slot, b, &args, body).await;
        }
        if b.driver.domain == Domain::Storage && verb.name == "get" {
            return Err(CallError::invalid(
                "get streams the object: call it over HTTP (POST /tools/domains/storage/get) or with `paddock call storage get`",
            ));
        }
        let (args, lent) = match (b.driver.domain, verb.name.as_str()) {
            (Domain::Db, "migrate") => {
                let dir = b.context.settings.get("migrations").map(String::as_str);
                (domains::db::migrate_args(&args, dir)?, Vec::new())
            }
            (Domain::Deploy, "create") => domains::deploy::lend_source(args)?,
            _ => (args, Vec::new()),
        };
        let params = domains::params_from_json(verb, &args)?;
        let _turn = lock(b).await;
        let mut call = b
            .driver
            .instantiate_lending(&self.runtime, b.context.clone(), &lent)
            .await?;
        let result = call.call(verb, &params).await;
        let denials = call.store.data().denials();
        let outcome = result.and_then(|r| domains::result_to_json(&r, verb.result.as_ref()));
        outcome.map_err(|mut e| {
            // The driver saw only "request denied": say what the host refused.
            if !denials.is_empty() {
                e.message
                    .push_str(&format!(" (the host refused: {})", denials.join("; ")));
            }
            e
        })
    }

    /// `put` with a streamed body.
    pub async fn put_stream(
        &self,
        slot: &str,
        args: Value,
        body: BodySource,
    ) -> Result<Value, CallError> {
        let (registry, name) = self.binding(slot)?;
        let binding = registry.slots[&name].binding.as_ref().expect("checked");
        let started = Instant::now();
        let _turn = self.admit(&name).await?;
        let outcome = self.put(&name, binding, &args, body).await;
        self.observe(&name, binding, "put", started, &outcome);
        outcome
    }

    async fn put(
        &self,
        slot: &str,
        b: &Binding,
        args: &Value,
        body: BodySource,
    ) -> Result<Value, CallError> {
        let verb = find_verb(slot, &b.driver, "put")?;
        let mut args = args.clone();
        storage::normalize_put_args(&mut args);
        let args = &args;
        let _turn = lock(b).await;
        let mut call = b
            .driver
            .instantiate(&self.runtime, b.context.clone())
            .await?;
        let resource = storage::lend_body(&mut call.store, body)?;
        let params = storage::put_params(verb, args, resource)?;
        let result = call.call(verb, &params).await?;
        domains::result_to_json(&result, verb.result.as_ref())
    }

    /// `get`: answers once the driver has found the object; the bytes follow
    /// through the returned stream, pulled from the driver as it is read.
    pub async fn get_stream(&self, slot: &str, args: Value) -> Result<ObjectDownload, CallError> {
        let (registry, name) = self.binding(slot)?;
        let binding = registry.slots[&name].binding.as_ref().expect("checked");
        let started = Instant::now();
        let admission = self.admit(&name).await?;
        let outcome = self.get(&name, binding, args, admission).await;
        let observed = outcome.as_ref().map(|_| Value::Null).map_err(Clone::clone);
        self.observe(&name, binding, "get", started, &observed);
        outcome
    }

    async fn get(
        &self,
        slot: &str,
        b: &Binding,
        args: Value,
        admission: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<ObjectDownload, CallError> {
        let verb = find_verb(slot, &b.driver, "get")?;
        let params = domains::params_from_json(verb, &args)?;
        let turn = lock_owned(b).await;
        let mut call = b
            .driver
            .instantiate(&self.runtime, b.context.clone())
            .await?;
        let result = call.call(verb, &params).await?;
        let head = storage::object_head(result, verb)?;
        let read = call.typed_method::<(wasmtime::component::ResourceAny, u32), (Result<Option<Vec<u8>>, crate::runtime::wit::types::Error>,)>("[method]object-reader.read")?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let reader = head.reader;
        tokio::spawn(async move {
            let _turn = (turn, admission);
            loop {
                call.store.data_mut().progressed();
                let outcome = match read
                    .call_async(&mut call.store, (reader, storage::CHUNK))
                    .await
                {
                    Ok((r,)) => storage::read_outcome(r),
                    Err(e) => Err(CallError::new(
                        ErrorKind::DriverFault,
                        format!("reading the object failed: {e:#}"),
                    )),
                };
                match outcome {
                    Ok(Some(chunk)) => {
                        if tx.send(Ok(chunk)).await.is_err() {
                            break; // the caller went away
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                        break;
                    }
                }
            }
            call.store.data().flush_output();
            let _ = reader.resource_drop_async(&mut call.store).await;
        });
        Ok(ObjectDownload {
            meta: head.meta,
            offset: head.offset,
            length: head.length,
            body: Box::pin(tokio_stream_from(rx)),
        })
    }

    fn observe<T>(
        &self,
        slot: &str,
        b: &Binding,
        verb: &str,
        started: Instant,
        outcome: &Result<T, CallError>,
    ) {
        let elapsed = started.elapsed();
        let domain = b.driver.domain.as_str();
        // An unknown verb is the caller's text: never a label of its own,
        // or any client could grow the metrics without bound.
        let verb = match outcome {
            Err(e) if e.kind == ErrorKind::UnknownVerb => "(unknown)".to_string(),
            _ => verb.replace('_', "-"),
        };
        let (outcome_label, kind) = match outcome {
            Ok(_) => ("ok", None),
            Err(e) => ("error", Some(e.kind.as_str())),
        };
        self.metrics.record(slot, &verb, elapsed, kind);
        tracing::info!(
            target: "paddock::audit",
            tool = %format!("domains.{slot}.{verb}"),
            slot,
            domain,
            verb = %verb,
            driver = %b.driver.name(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            outcome = outcome_label,
            error_kind = kind.unwrap_or(""),
            "call"
        );
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn lock(b: &Binding) -> Option<tokio::sync::MutexGuard<'_, ()>> {
    match &b.serial {
        Some(m) => Some(m.lock().await),
        None => None,
    }
}

async fn lock_owned(b: &Binding) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    match &b.serial {
        Some(m) => Some(m.clone().lock_owned().await),
        None => None,
    }
}

fn find_verb<'a>(
    slot: &str,
    driver: &'a Driver,
    verb: &str,
) -> Result<&'a crate::runtime::Verb, CallError> {
    driver.verb(verb).ok_or_else(|| {
        CallError::new(
            ErrorKind::UnknownVerb,
            format!(
                "slot '{slot}' (driver '{}') has no verb '{verb}'; verbs: {}",
                driver.name(),
                driver
                    .verbs()
                    .map(|v| v.name.replace('-', "_"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// The process environment and `.env` over the vault's secrets. A vault that
/// exists must open: a wrong or malformed `PADDOCK_MASTER_KEY` stops the
/// start with the reason. Without the key a vault is left closed (with a
/// warning), and secrets only it holds are reported missing.
fn secret_sources(config: &Config) -> anyhow::Result<paddock_config::Environment> {
    use crate::capabilities::vault::{MASTER_KEY_VAR, Vault};
    let path = Vault::path_for(config);
    let key = config.env.non_empty(MASTER_KEY_VAR);
    if !path.exists() || key.is_none() {
        if path.exists() {
            tracing::warn!(vault = %path.display(), "{MASTER_KEY_VAR} is not set: the secrets vault stays closed, and secrets only it holds are missing");
        }
        return Ok(config.env.clone());
    }
    let vault = Vault::open(&path, key)?;
    let mut vars = vault.secrets().clone();
    for (name, value) in config.env.vars() {
        vars.insert(name.to_string(), value.to_string());
    }
    Ok(paddock_config::Environment::from_map(vars))
}
