//! Constructors for the shared error variant, so drivers read
//! `Error::not_found(format!("object {key}"))`.

use crate::{Error, UnavailableError, VendorError};

/// The result of every verb.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `not-found`.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }
    /// `already-exists`.
    pub fn already_exists(msg: impl Into<String>) -> Self {
        Error::AlreadyExists(msg.into())
    }
    /// `conflict`.
    pub fn conflict(msg: impl Into<String>) -> Self {
        Error::Conflict(msg.into())
    }
    /// `access-denied`.
    pub fn access_denied(msg: impl Into<String>) -> Self {
        Error::AccessDenied(msg.into())
    }
    /// `quota-exceeded`.
    pub fn quota_exceeded(msg: impl Into<String>) -> Self {
        Error::QuotaExceeded(msg.into())
    }
    /// `invalid-input`.
    pub fn invalid_input(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
    /// `unsupported`.
    pub fn unsupported(msg: impl Into<String>) -> Self {
        Error::Unsupported(msg.into())
    }
    /// `unavailable`, with the backend's retry hint when it gave one.
    pub fn unavailable(msg: impl Into<String>, retry_after_ms: Option<u64>) -> Self {
        Error::Unavailable(UnavailableError {
            message: msg.into(),
            retry_after_ms,
        })
    }
    /// `vendor`, with the vendor's own code.
    pub fn vendor(code: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Vendor(VendorError {
            code: code.into(),
            message: msg.into(),
        })
    }

    /// The WIT name of the case (`not-found`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not-found",
            Error::AlreadyExists(_) => "already-exists",
            Error::Conflict(_) => "conflict",
            Error::AccessDenied(_) => "access-denied",
            Error::QuotaExceeded(_) => "quota-exceeded",
            Error::InvalidInput(_) => "invalid-input",
            Error::Unsupported(_) => "unsupported",
            Error::Unavailable(_) => "unavailable",
            Error::Vendor(_) => "vendor",
        }
    }

    /// The message of the case.
    pub fn message(&self) -> &str {
        match self {
            Error::NotFound(m)
            | Error::AlreadyExists(m)
            | Error::Conflict(m)
            | Error::AccessDenied(m)
            | Error::QuotaExceeded(m)
            | Error::InvalidInput(m)
            | Error::Unsupported(m) => m,
            Error::Unavailable(u) => &u.message,
            Error::Vendor(v) => &v.message,
        }
    }
}
