//! `fake_deploy` (also `fake_frontend`, `fake_backend`): an in-memory
//! deploy target for tests and CI. Builds advance one step per `get`
//! (queued → building → ready, or error with `FAKE_FAIL=1`). Everything
//! lives in the slot's `state` store (the daemon's memory), because the host
//! makes a fresh instance for every call; the verbs are plain modules over
//! [`Store`](paddock_sdk::state::Store), unit-tested natively, and this file
//! only adapts them to the WIT.

mod deployments;
mod env;
mod layout;
mod logs;
mod machine;
mod names;
mod source;

use paddock_sdk::deploy::*;
use paddock_sdk::settings;
use paddock_sdk::state::HostStore;
use paddock_sdk::time::now_ms;

use deployments::Ctx;

const DEFAULT_SUFFIX: &str = "fake.paddock.local";

/// Runs `f` with the call's context; the `url_suffix` setting is checked
/// here so every verb reports a bad one the same way.
fn with_ctx<T>(f: impl FnOnce(&Ctx) -> Result<T>) -> Result<T> {
    let suffix = settings::get("url_suffix").unwrap_or_else(|| DEFAULT_SUFFIX.to_owned());
    names::check_suffix(&suffix)?;
    f(&Ctx {
        now_ms: now_ms(),
        url_suffix: &suffix,
    })
}

struct FakeDeploy;

impl Driver for FakeDeploy {
    fn describe() -> Manifest {
        Manifest {
            name: "fake_deploy".into(),
            aliases: vec!["fake_frontend".into(), "fake_backend".into()],
            version: "0.1.0".into(),
            domain: Domain::Deploy,
            description: "In-memory fake deploy target for tests and CI; deployments live in the \
                daemon's memory and are lost when it stops. Nothing is built or served: each get \
                moves a deployment one step (queued, building, ready; error when FAKE_FAIL=1 is in \
                its environment or the project's). Ready deployments get the URL \
                https://<project>-dpl-<n>.<url_suffix>."
                .into(),
            settings: vec![Setting {
                name: "url_suffix".into(),
                description: "Host name under which deployment URLs are made up".into(),
                required: false,
                env: None,
                default_value: Some(DEFAULT_SUFFIX.into()),
                schema: Some(r#"{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9-]*(\\.[A-Za-z0-9][A-Za-z0-9-]*)*$"}"#.into()),
            }],
            capabilities: Capabilities::none().with_state(),
            concurrency: Concurrency::Serialized,
        }
    }

    fn create(request: CreateRequest) -> Result<Deployment> {
        with_ctx(|ctx| deployments::create(&mut HostStore, request, ctx))
    }

    fn get(id: String) -> Result<Deployment> {
        with_ctx(|ctx| deployments::get(&mut HostStore, &id, ctx))
    }

    fn list(
        project: Option<String>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<DeploymentPage> {
        with_ctx(|ctx| deployments::list(&HostStore, project, cursor, limit, ctx))
    }

    fn cancel(id: String) -> Result<Deployment> {
        with_ctx(|ctx| deployments::cancel(&mut HostStore, &id, ctx))
    }

    fn rollback(project: String, to: Option<String>) -> Result<Deployment> {
        with_ctx(|ctx| deployments::rollback(&mut HostStore, &project, to, ctx))
    }

    fn promote(id: String) -> Result<Deployment> {
        with_ctx(|ctx| deployments::promote(&mut HostStore, &id, ctx))
    }

    fn logs(id: String, cursor: Option<String>, limit: Option<u32>) -> Result<LogPage> {
        deployments::logs(&HostStore, &id, cursor, limit)
    }

    fn set_env(project: String, vars: Vec<(String, String)>) -> Result<()> {
        env::set(&mut HostStore, &project, vars, now_ms())
    }

    fn list_env(project: String) -> Result<Vec<EnvVar>> {
        env::list(&HostStore, &project)
    }

    fn unset_env(project: String, names: Vec<String>) -> Result<()> {
        env::unset(&mut HostStore, &project, names)
    }

    fn health() -> Result<HealthReport> {
        with_ctx(|ctx| {
            Ok(HealthReport {
                healthy: true,
                message: Some("in-memory fake deploy target".into()),
                details: vec![
                    (
                        "deployments".into(),
                        deployments::count(&HostStore).to_string(),
                    ),
                    ("url_suffix".into(), ctx.url_suffix.to_owned()),
                ],
            })
        })
    }
}

export_deploy_driver!(FakeDeploy);
