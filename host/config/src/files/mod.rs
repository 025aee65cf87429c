//! The raw, parsed forms of the two configuration files. They are checked for
//! shape and unknown keys; interpolation, defaults and merging happen in
//! [`crate::load`].

mod drivers;
mod paddock;
mod walk;

pub(crate) use drivers::parse_partial as parse_drivers_partial;
pub(crate) use paddock::parse_partial as parse_paddock_partial;

pub use drivers::{
    DRIVERS_TOML_SECTIONS, DriverEntry, DriversSection, DriversToml, parse_drivers_toml,
};
pub use paddock::{
    ApiSection, FolderSection, GrantsSection, PaddockToml, ServerSection, SlotSection,
    TokenSection, parse_paddock_toml,
};
