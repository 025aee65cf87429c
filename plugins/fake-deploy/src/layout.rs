//! The state key layout, and JSON load/save of the records under it.
//!
//! - `n/deploy` → the last deployment number handed out (`dpl_<n>`)
//! - `d/<rev>` → [`crate::deployments::Record`]; `<rev>` is `u64::MAX - n`,
//!   20 digits, so key order is newest first, the order `list` answers in
//! - `p/<project>/<rev>` → empty: the project's deployments, newest first
//! - `prod/<project>` → [`crate::deployments::Project`]: the production
//!   deployment and the ones before it, for rollback
//! - `l/<n>/<i>` → a [`crate::logs::Line`] (both numbers zero-padded)
//! - `e/<project>/<NAME>` → [`crate::env::Var`]: the value and when it was set

pub fn rev(n: u64) -> String {
    format!("{:020}", u64::MAX - n)
}

pub fn deployment_key(n: u64) -> String {
    format!("d/{}", rev(n))
}

pub fn project_index(project: &str) -> String {
    format!("p/{project}/")
}

pub fn project_key(project: &str) -> String {
    format!("prod/{project}")
}

pub fn log_prefix(n: u64) -> String {
    format!("l/{n:020}/")
}

pub fn log_key(n: u64, i: u32) -> String {
    format!("l/{n:020}/{i:06}")
}

pub fn env_prefix(project: &str) -> String {
    format!("e/{project}/")
}

pub use paddock_sdk::state::{load_json as load, save_json as save};
