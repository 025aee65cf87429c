//! Version 2 of the `echo` test driver (see `echo-v1/src/echo.rs`).

const VERSION: &str = "2.0.0";

include!("../../echo-v1/src/echo.rs");
