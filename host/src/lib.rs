//! paddock host library.
