//! SQLite's errors as the WIT error kinds, SQLite's own message kept.
//!
//! | SQLite                                              | kind             |
//! |-----------------------------------------------------|------------------|
//! | `SQLITE_ERROR` "no such table"                      | `not-found`      |
//! | `SQLITE_ERROR` "… already exists"                   | `already-exists` |
//! | `SQLITE_ERROR` otherwise (syntax, no such column…), `SQLITE_MISMATCH`, `SQLITE_RANGE` | `invalid-input` |
//! | `SQLITE_CONSTRAINT` UNIQUE, PRIMARYKEY, FOREIGNKEY, ROWID, TRIGGER | `conflict` |
//! | `SQLITE_CONSTRAINT` NOTNULL, CHECK, DATATYPE        | `invalid-input` (the row itself is wrong, whatever the table holds) |
//! | `SQLITE_BUSY`, `SQLITE_LOCKED`, `SQLITE_SCHEMA`, `SQLITE_PROTOCOL` | `unavailable` |
//! | `SQLITE_READONLY`, `SQLITE_PERM`, `SQLITE_AUTH`, `SQLITE_CANTOPEN` | `access-denied` |
//! | `SQLITE_FULL`, `SQLITE_TOOBIG`, `SQLITE_NOMEM`      | `quota-exceeded` |
//! | anything else (`IOERR`, `CORRUPT`, `NOTADB`…)       | `vendor` with the SQLite code name |
//!
//! SQLite gives one code, `SQLITE_ERROR`, for every statement that cannot
//! be prepared; its messages for missing and existing objects are stable
//! and are the only messages read.

use paddock_sdk::Error;
use rusqlite::ErrorCode;
use rusqlite::ffi;

/// A rusqlite error as the WIT error.
pub fn map(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(err, msg) => {
            let msg = msg.unwrap_or_else(|| err.to_string());
            from_code(err, msg)
        }
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => {
            let msg = if offset >= 0 {
                format!("{msg} (at offset {offset})")
            } else {
                msg
            };
            from_code(error, msg)
        }
        rusqlite::Error::MultipleStatement => Error::invalid_input(
            "the SQL holds more than one statement; send one per call (migrate runs scripts)",
        ),
        rusqlite::Error::NulError(_) => Error::invalid_input("the SQL contains a NUL character"),
        rusqlite::Error::InvalidParameterCount(given, wanted) => Error::invalid_input(format!(
            "the statement has {wanted} parameter(s) but {given} value(s) were given"
        )),
        other => Error::vendor("rusqlite", other.to_string()),
    }
}

fn from_code(err: ffi::Error, msg: String) -> Error {
    use ErrorCode::*;
    match err.code {
        ConstraintViolation => match err.extended_code {
            ffi::SQLITE_CONSTRAINT_NOTNULL
            | ffi::SQLITE_CONSTRAINT_CHECK
            | ffi::SQLITE_CONSTRAINT_DATATYPE => Error::invalid_input(msg),
            _ => Error::conflict(msg),
        },
        DatabaseBusy | DatabaseLocked | SchemaChanged | FileLockingProtocolFailed => {
            Error::unavailable(msg, None)
        }
        ReadOnly | PermissionDenied | AuthorizationForStatementDenied | CannotOpen => {
            Error::access_denied(msg)
        }
        DiskFull | TooBig | OutOfMemory => Error::quota_exceeded(msg),
        TypeMismatch | ParameterOutOfRange => Error::invalid_input(msg),
        Unknown if err.extended_code & 0xff == ffi::SQLITE_ERROR => {
            if msg.starts_with("no such table") {
                Error::not_found(msg)
            } else if msg.contains("already exists") {
                Error::already_exists(msg)
            } else {
                Error::invalid_input(msg)
            }
        }
        _ => Error::vendor(
            code_name(err.extended_code & 0xff),
            format!("{msg} (SQLite extended code {})", err.extended_code),
        ),
    }
}

/// The name of a primary result code (`SQLITE_IOERR`).
fn code_name(code: i32) -> String {
    let name = match code {
        ffi::SQLITE_INTERNAL => "INTERNAL",
        ffi::SQLITE_ABORT => "ABORT",
        ffi::SQLITE_INTERRUPT => "INTERRUPT",
        ffi::SQLITE_IOERR => "IOERR",
        ffi::SQLITE_CORRUPT => "CORRUPT",
        ffi::SQLITE_NOTFOUND => "NOTFOUND",
        ffi::SQLITE_MISUSE => "MISUSE",
        ffi::SQLITE_NOLFS => "NOLFS",
        ffi::SQLITE_NOTADB => "NOTADB",
        ffi::SQLITE_FORMAT => "FORMAT",
        ffi::SQLITE_EMPTY => "EMPTY",
        _ => return format!("SQLITE_{code}"),
    };
    format!("SQLITE_{name}")
}

/// The same error, its message prefixed with where it happened.
pub fn within(e: Error, place: &str) -> Error {
    let msg = format!("{place}: {}", e.message());
    match e {
        Error::NotFound(_) => Error::not_found(msg),
        Error::AlreadyExists(_) => Error::already_exists(msg),
        Error::Conflict(_) => Error::conflict(msg),
        Error::AccessDenied(_) => Error::access_denied(msg),
        Error::QuotaExceeded(_) => Error::quota_exceeded(msg),
        Error::InvalidInput(_) => Error::invalid_input(msg),
        Error::Unsupported(_) => Error::unsupported(msg),
        Error::Unavailable(u) => Error::unavailable(msg, u.retry_after_ms),
        Error::Vendor(v) => Error::vendor(v.code, msg),
    }
}

/// `?` on rusqlite results inside the driver.
pub trait Sql<T> {
    /// The result with its error mapped by [`map`].
    fn sql(self) -> paddock_sdk::Result<T>;
}

impl<T> Sql<T> for rusqlite::Result<T> {
    fn sql(self) -> paddock_sdk::Result<T> {
        self.map_err(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, msg: &str) -> Error {
        map(rusqlite::Error::SqliteFailure(
            ffi::Error::new(code),
            Some(msg.into()),
        ))
    }

    #[test]
    fn kinds() {
        for (code, msg, kind) in [
            (
                ffi::SQLITE_CONSTRAINT_UNIQUE,
                "UNIQUE constraint failed: t.a",
                "conflict",
            ),
            (ffi::SQLITE_CONSTRAINT_PRIMARYKEY, "x", "conflict"),
            (ffi::SQLITE_CONSTRAINT_FOREIGNKEY, "x", "conflict"),
            (ffi::SQLITE_CONSTRAINT_NOTNULL, "x", "invalid-input"),
            (ffi::SQLITE_CONSTRAINT_CHECK, "x", "invalid-input"),
            (ffi::SQLITE_BUSY, "database is locked", "unavailable"),
            (ffi::SQLITE_LOCKED, "x", "unavailable"),
            (
                ffi::SQLITE_READONLY,
                "attempt to write a readonly database",
                "access-denied",
            ),
            (ffi::SQLITE_PERM, "x", "access-denied"),
            (
                ffi::SQLITE_CANTOPEN,
                "unable to open database file",
                "access-denied",
            ),
            (
                ffi::SQLITE_FULL,
                "database or disk is full",
                "quota-exceeded",
            ),
            (
                ffi::SQLITE_TOOBIG,
                "string or blob too big",
                "quota-exceeded",
            ),
            (ffi::SQLITE_NOMEM, "out of memory", "quota-exceeded"),
            (ffi::SQLITE_MISMATCH, "datatype mismatch", "invalid-input"),
            (ffi::SQLITE_ERROR, "no such table: nope", "not-found"),
            (
                ffi::SQLITE_ERROR,
                "table t already exists",
                "already-exists",
            ),
            (ffi::SQLITE_ERROR, "no such column: x", "invalid-input"),
            (ffi::SQLITE_IOERR_WRITE, "disk I/O error", "vendor"),
            (
                ffi::SQLITE_CORRUPT,
                "database disk image is malformed",
                "vendor",
            ),
        ] {
            assert_eq!(failure(code, msg).kind(), kind, "{code} {msg}");
        }
        match failure(ffi::SQLITE_IOERR_WRITE, "disk I/O error") {
            Error::Vendor(v) => {
                assert_eq!(v.code, "SQLITE_IOERR");
                assert_eq!(v.message, "disk I/O error (SQLite extended code 778)");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn context_keeps_the_kind() {
        let e = within(Error::conflict("x"), "migration 2 ('b')");
        assert_eq!(
            (e.kind(), e.message()),
            ("conflict", "migration 2 ('b'): x")
        );
    }
}
