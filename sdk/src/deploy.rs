//! The `deploy-driver` world: implement [`Driver`] (its `describe` returns the [`Manifest`]), then
//! `paddock_sdk::export_deploy_driver!(YourType);`.

pub use crate::bindings::deploy::export_deploy_driver;
pub use crate::bindings::deploy::exports::paddock::driver::deploy::{
    CreateRequest, DeployState, Deployment, DeploymentPage, EnvVar, GitSource, Guest as Driver,
    LogLine, LogPage, Source,
};
pub use crate::{
    Capabilities, Concurrency, Domain, Error, FolderAccess, HealthReport, Manifest, Result, Setting,
};
