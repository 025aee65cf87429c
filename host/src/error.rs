//! The error of a call, as every surface (HTTP, MCP, CLI) reports it.

use serde::Serialize;

/// What kind of failure a call met. The first nine are the WIT `error`
/// cases a driver returns; the rest are the host's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// WIT `not-found`.
    NotFound,
    /// WIT `already-exists`.
    AlreadyExists,
    /// WIT `conflict`.
    Conflict,
    /// WIT `access-denied`.
    AccessDenied,
    /// WIT `quota-exceeded`.
    QuotaExceeded,
    /// WIT `invalid-input`; also the host's own validation of the request.
    InvalidInput,
    /// WIT `unsupported`.
    Unsupported,
    /// WIT `unavailable`; also a saturated slot.
    Unavailable,
    /// WIT `vendor`.
    Vendor,
    /// No slot of that name.
    UnknownSlot,
    /// The slot's driver has no such verb.
    UnknownVerb,
    /// The slot has no working driver (not found, failed to load, missing settings).
    DriverUnavailable,
    /// The driver trapped, panicked or broke the contract.
    DriverFault,
    /// The call ran past its deadline.
    Timeout,
}

impl ErrorKind {
    /// The stable name of the kind (`not-found`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not-found",
            ErrorKind::AlreadyExists => "already-exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::AccessDenied => "access-denied",
            ErrorKind::QuotaExceeded => "quota-exceeded",
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Vendor => "vendor",
            ErrorKind::UnknownSlot => "unknown-slot",
            ErrorKind::UnknownVerb => "unknown-verb",
            ErrorKind::DriverUnavailable => "driver-unavailable",
            ErrorKind::DriverFault => "driver-fault",
            ErrorKind::Timeout => "timeout",
        }
    }

    /// The kind of a WIT `error` case name.
    pub fn from_wit_case(case: &str) -> Option<Self> {
        Some(match case {
            "not-found" => ErrorKind::NotFound,
            "already-exists" => ErrorKind::AlreadyExists,
            "conflict" => ErrorKind::Conflict,
            "access-denied" => ErrorKind::AccessDenied,
            "quota-exceeded" => ErrorKind::QuotaExceeded,
            "invalid-input" => ErrorKind::InvalidInput,
            "unsupported" => ErrorKind::Unsupported,
            "unavailable" => ErrorKind::Unavailable,
            "vendor" => ErrorKind::Vendor,
            _ => return None,
        })
    }

    /// The HTTP status this kind is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput => 400,
            ErrorKind::AccessDenied => 403,
            ErrorKind::NotFound | ErrorKind::UnknownSlot | ErrorKind::UnknownVerb => 404,
            ErrorKind::AlreadyExists | ErrorKind::Conflict => 409,
            ErrorKind::QuotaExceeded => 429,
            ErrorKind::DriverFault => 500,
            ErrorKind::Unsupported => 501,
            ErrorKind::Vendor => 502,
            ErrorKind::Unavailable | ErrorKind::DriverUnavailable => 503,
            ErrorKind::Timeout => 504,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CallError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What went wrong and, where possible, what to do.
    pub message: String,
    /// For `unavailable`: when to retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For `vendor`: the vendor's own code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl CallError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CallError {
            kind,
            message: message.into(),
            retry_after_ms: None,
            code: None,
        }
    }

    /// `invalid-input`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
}
