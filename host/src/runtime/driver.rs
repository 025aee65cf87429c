//! A loaded driver: its compiled component, what it exports, its manifest,
//! and how one call runs (a fresh instance from the pre-instantiated component).

use super::cache::{CodeCache, content_hash};
use super::engine::Runtime;
use super::host_state::{CallContext, HostState};
use super::manifest::{Domain, Manifest};
use crate::domains::json;
use crate::error::{CallError, ErrorKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Lower, Type,
    TypedFunc, Val,
};
use wasmtime::{Store, Trap, UpdateDeadline};

/// The WIT package drivers implement.
pub const PACKAGE: &str = "paddock:driver";
/// `major.minor` versions of the package this host serves.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1"];

/// Why a file could not become a driver.
#[derive(Debug, thiserror::Error)]
pub enum DriverLoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a valid component for this engine.
    #[error("{path} is not a valid WebAssembly component: {reason}")]
    Compile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A component, but not a paddock driver.
    #[error("{path} is not a paddock driver: {reason}")]
    NotADriver {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// It needs imports the host does not provide, or its `describe` failed.
    #[error("{path}: {reason}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// One verb a driver exports.
#[derive(Debug, Clone)]
pub struct Verb {
    /// The WIT name (`list-branches`).
    pub name: String,
    pub(crate) index: ComponentExportIndex,
    /// Parameter names and types.
    pub params: Vec<(String, Type)>,
    /// The result type (every verb returns `result<T, error>`).
    pub result: Option<Type>,
}

/// A driver ready to serve calls.
pub struct Driver {
    /// Its manifest.
    pub manifest: Manifest,
    /// The domain it exports.
    pub domain: Domain,
    /// The exported interface (`paddock:driver/db@0.1.0`).
    pub interface: String,
    /// The package version it was built against (`0.1.0`).
    pub wit_version: String,
    /// Where it was loaded from.
    pub path: PathBuf,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Whether the compiled code came from the cache.
    pub from_cache: bool,
    /// Time to compile or deserialize, and describe.
    pub load_time: Duration,
    pre: InstancePre<HostState>,
    verbs: BTreeMap<String, Verb>,
    interface_index: ComponentExportIndex,
    component: Component,
}

impl Driver {
    /// Loads, validates and describes the driver in `path`.
    pub async fn load(
        runtime: &Runtime,
        cache: &CodeCache,
        path: &Path,
    ) -> Result<Driver, DriverLoadError> {
        let wasm = std::fs::read(path).map_err(|source| DriverLoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(runtime, cache, path, &wasm).await
    }

    /// Like [`Driver::load`], from bytes already read.
    pub async fn from_bytes(
        runtime: &Runtime,
        cache: &CodeCache,
        path: &Path,
        wasm: &[u8],
    ) -> Result<Driver, DriverLoadError> {
        let started = Instant::now();
        let path_buf = path.to_path_buf();
        let sha256 = content_hash(wasm);
        if !wasm.starts_with(b"\0asm") {
            return Err(DriverLoadError::Compile {
                path: path_buf,
                reason: "the file does not start with the WebAssembly magic bytes".into(),
            });
        }
        let (component, from_cache) =
            cache
                .load(&runtime.engine, wasm, &sha256)
                .map_err(|e| DriverLoadError::Compile {
                    path: path_buf.clone(),
                    reason: format!("{e:#}"),
                })?;
        let (domain, interface, wit_version) =
            find_domain_export(runtime, &component).map_err(|reason| {
                DriverLoadError::NotADriver {
                    path: path_buf.clone(),
                    reason,
                }
            })?;
        let interface_index = component
            .get_export_index(None, interface.as_str())
            .expect("the export was just found");
        let verbs = collect_verbs(runtime, &component, &interface, &interface_index);
        if !verbs.contains_key("describe") {
            return Err(DriverLoadError::NotADriver {
                path: path_buf,
                reason: format!("its '{interface}' export has no `describe` function"),
            });
        }
        let pre =
            runtime
                .linker
                .instantiate_pre(&component)
                .map_err(|e| DriverLoadError::Unusable {
                    path: path_buf.clone(),
                    reason: format!("it imports something this host does not provide: {e:#}"),
                })?;
        let mut driver = Driver {
            manifest: placeholder_manifest(domain),
            domain,
            interface,
            wit_version,
            path: path_buf.clone(),
            sha256,
            from_cache,
            load_time: Duration::ZERO,
            pre,
            verbs,
            interface_index,
            component,
        };
        let manifest = driver
            .describe(runtime)
            .await
            .map_err(|e| DriverLoadError::Unusable {
                path: path_buf.clone(),
                reason: format!("its `describe` failed: {}", e.message),
            })?;
        manifest
            .validate(domain)
            .map_err(|reason| DriverLoadError::Unusable {
                path: path_buf,
                reason,
            })?;
        driver.manifest = manifest;
        driver.verbs.remove("describe");
        driver.load_time = started.elapsed();
        Ok(driver)
    }

    /// Calls `describe` with nothing lent.
    async fn describe(&self, runtime: &Runtime) -> Result<Manifest, CallError> {
        let verb = self.verbs.get("describe").expect("checked at load").clone();
        let mut call = self
            .instantiate(
                runtime,
                CallContext::empty(&self.path.display().to_string()),
            )
            .await?;
        let result = call.call(&verb, &[]).await?;
        let ty = verb.result.clone().expect("describe returns the manifest");
        let value = json::from_val(&result, &ty);
        serde_json::from_value(value).map_err(|e| {
            CallError::new(
                ErrorKind::DriverFault,
                format!("its manifest does not parse: {e}"),
            )
        })
    }

    /// The driver's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Its verbs, by WIT name.
    pub fn verbs(&self) -> impl Iterator<Item = &Verb> {
        self.verbs.values()
    }

    /// A verb by name (`list-branches` or `list_branches`).
    pub fn verb(&self, name: &str) -> Option<&Verb> {
        self.verbs
            .get(name)
            .or_else(|| self.verbs.get(&name.replace('_', "-")))
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// A fresh instance for one call, lending what `context` lends.
    pub async fn instantiate(
        &self,
        runtime: &Runtime,
        context: CallContext,
    ) -> Result<DriverCall, CallError> {
        self.instantiate_lending(runtime, context, &[]).await
    }

    /// Like [`Driver::instantiate`], lending `folders` read-only for the call.
    pub async fn instantiate_lending(
        &self,
        runtime: &Runtime,
        context: CallContext,
        folders: &[super::LentFolder],
    ) -> Result<DriverCall, CallError> {
        let state = HostState::new(context, &runtime.limits, folders)
            .map_err(|e| CallError::invalid(format!("{e:#}")))?;
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|s| &mut s.limits);
        // Every tick, running guest code yields to the executor (a busy driver
        // cannot hold a worker thread) and is stopped once the deadline has
        // passed without progress.
        let deadline = runtime.limits.call_deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            Ok(if ctx.data().last_progress.elapsed() > deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        let instance = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| fault(&self.manifest.name, e, runtime))?;
        Ok(DriverCall {
            store,
            instance,
            driver: self.manifest.name.clone(),
            deadline: runtime.limits.call_deadline,
            interface_index: self.interface_index,
        })
    }
}

/// One instance of a driver, alive for one call (and, for streamed bodies,
/// until the stream ends).
pub struct DriverCall {
    /// The store; its data is the call's [`HostState`].
    pub store: Store<HostState>,
    instance: Instance,
    driver: String,
    deadline: Duration,
    interface_index: ComponentExportIndex,
}

impl DriverCall {
    /// Calls `verb` with `params`; returns its single result.
    pub async fn call(&mut self, verb: &Verb, params: &[Val]) -> Result<Val, CallError> {
        let func = self
            .instance
            .get_func(&mut self.store, verb.index)
            .expect("verb indices come from this component");
        let mut results = vec![Val::Bool(false); verb.result.iter().count()];
        let outcome = func.call_async(&mut self.store, params, &mut results).await;
        self.store.data().flush_output();
        outcome.map_err(|e| self.fault(e))?;
        Ok(results.pop().unwrap_or(Val::Tuple(Vec::new())))
    }

    /// A resource method of the domain interface as a typed function, for
    /// hot paths (streamed bodies) where dynamic values would cost a value per byte.
    pub fn typed_method<P, R>(&mut self, name: &str) -> Result<TypedFunc<P, R>, CallError>
    where
        P: ComponentNamedList + Lower + Send + Sync,
        R: ComponentNamedList + Lift + Send + Sync,
    {
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&self.interface_index), name)
            .ok_or_else(|| {
                CallError::new(
                    ErrorKind::DriverFault,
                    format!("driver '{}' does not export {name}", self.driver),
                )
            })?;
        self.instance
            .get_typed_func::<P, R>(&mut self.store, index)
            .map_err(|e| {
                CallError::new(
                    ErrorKind::DriverFault,
                    format!(
                        "driver '{}' exports {name} with an unexpected type: {e:#}",
                        self.driver
                    ),
                )
            })
    }

    fn fault(&self, err: wasmtime::Error) -> CallError {
        let mut error = fault_with(&self.driver, err, self.deadline);
        if error.kind == ErrorKind::DriverFault
            && let Some(said) = self.store.data().stderr.tail(3)
        {
            error
                .message
                .push_str(&format!("; the driver wrote: {said}"));
        }
        error
    }
}

fn fault(driver: &str, err: wasmtime::Error, runtime: &Runtime) -> CallError {
    fault_with(driver, err, runtime.limits.call_deadline)
}

fn fault_with(driver: &str, err: wasmtime::Error, deadline: Duration) -> CallError {
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::new(
            ErrorKind::Timeout,
            format!(
                "driver '{driver}' ran for {deadline:?} without progress (the call deadline, PADDOCK_CALL_DEADLINE_MS) and was stopped"
            ),
        ),
        Some(trap) => {
            tracing::debug!(driver, "driver trap: {err:#}");
            CallError::new(
                ErrorKind::DriverFault,
                format!(
                    "driver '{driver}' crashed ({trap}); the call was abandoned, the daemon is unaffected"
                ),
            )
        }
        None => CallError::new(
            ErrorKind::DriverFault,
            format!("driver '{driver}' failed: {err:#}"),
        ),
    }
}

fn placeholder_manifest(domain: Domain) -> Manifest {
    Manifest {
        name: String::new(),
        aliases: Vec::new(),
        version: String::new(),
        domain,
        description: String::new(),
        settings: Vec::new(),
        capabilities: Default::default(),
        concurrency: super::manifest::Concurrency::Parallel,
    }
}

/// Finds the one `paddock:driver/<domain>@<version>` export.
fn find_domain_export(
    runtime: &Runtime,
    component: &Component,
) -> Result<(Domain, String, String), String> {
    let ty = component.component_type();
    let mut exports = Vec::new();
    let mut found = Vec::new();
    let mut unsupported = Vec::new();
    for (name, _) in ty.exports(&runtime.engine) {
        exports.push(name.to_string());
        let Some(rest) = name.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let Some(domain) = Domain::ALL.into_iter().find(|d| d.as_str() == iface) else {
            continue;
        };
        let major_minor = version
            .rsplit_once('.')
            .map(|(mm, _)| mm)
            .unwrap_or(version);
        if SUPPORTED_VERSIONS.contains(&major_minor) {
            found.push((domain, name.to_string(), version.to_string()));
        } else {
            unsupported.push(name.to_string());
        }
    }
    match found.len() {
        1 => Ok(found.pop().expect("one")),
        0 if !unsupported.is_empty() => Err(format!(
            "it was built against {}, and this host serves {PACKAGE} versions {}.x; rebuild it with a matching paddock-sdk",
            unsupported.join(", "),
            SUPPORTED_VERSIONS.join(".x, ")
        )),
        0 => Err(format!(
            "it exports none of {PACKAGE}/db, {PACKAGE}/deploy, {PACKAGE}/storage (it exports: {}); build it with paddock-sdk's export_db_driver!, export_deploy_driver! or export_storage_driver!",
            if exports.is_empty() {
                "nothing".to_string()
            } else {
                exports.join(", ")
            }
        )),
        _ => Err(format!(
            "it exports more than one domain ({}); a driver serves exactly one",
            found
                .iter()
                .map(|f| f.1.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The verbs of the domain interface: every plain function (resource
/// methods are reached through the verbs that return resources).
fn collect_verbs(
    runtime: &Runtime,
    component: &Component,
    interface: &str,
    interface_index: &ComponentExportIndex,
) -> BTreeMap<String, Verb> {
    let mut verbs = BTreeMap::new();
    let ty = component.component_type();
    let Some(ComponentItem::ComponentInstance(instance)) =
        ty.get_export(&runtime.engine, interface).map(|e| e.ty)
    else {
        return verbs;
    };
    for (name, item) in instance.exports(&runtime.engine) {
        let ComponentItem::ComponentFunc(func) = item.ty else {
            continue;
        };
        if name.starts_with('[') {
            continue;
        }
        let Some(index) = component.get_export_index(Some(interface_index), name) else {
            continue;
        };
        verbs.insert(
            name.to_string(),
            Verb {
                name: name.to_string(),
                index,
                params: func.params().map(|(n, t)| (n.to_string(), t)).collect(),
                result: func.results().next(),
            },
        );
    }
    verbs
}
