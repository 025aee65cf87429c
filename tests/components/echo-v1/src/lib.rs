//! Version 1 of the `echo` test driver (see `src/echo.rs`).

const VERSION: &str = "1.0.0";

include!("echo.rs");
