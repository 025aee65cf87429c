//! What the host lends drivers. Each capability is one module; all deny by
//! default and lend only what the slot's grants allow.

pub mod body;
mod http;
pub mod net_policy;
mod output;
mod settings;
mod state;

pub use http::{HttpHooks, HttpPolicy};
pub use output::GuestOutput;
pub use state::SlotState;
