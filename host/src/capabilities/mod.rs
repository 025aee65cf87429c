//! What the host lends drivers. Each capability is one module; all deny by
//! default and lend only what the slot's grants allow.

pub mod body;
mod folder;
mod http;
pub mod net_policy;
mod output;
pub mod secrets;
mod settings;
pub mod signing;
mod state;
mod tcp;
pub mod vault;

pub use folder::{GUEST_PATH as FOLDER_GUEST_PATH, SlotFolder};
pub use http::{HttpHooks, HttpPolicy};
pub use output::GuestOutput;
pub use state::SlotState;
pub use tcp::{TcpPolicy, apply as apply_tcp};
