//! # paddock
//!
//! A daemon that serves stable verbs (`db.migrate`, `deploy.create`,
//! `storage.put`) through vendor drivers compiled to WebAssembly components,
//! lending each driver only what the operator granted.
//!
//! Layout: [`runtime`] (engine, drivers, instances), [`capabilities`] (what
//! the host lends), [`domains`] (verbs and their JSON form), [`service`] (the
//! facade every surface uses), [`api`] (HTTP), [`mcp`], [`cli`].
#![deny(missing_docs)]

pub mod api;
pub mod capabilities;
pub mod cli;
pub mod domains;
pub mod error;
pub mod mcp;
pub mod metrics;
pub mod runtime;
pub mod service;

pub use error::{CallError, ErrorKind};
pub use service::Service;
