//! PostgreSQL's errors as the WIT error kinds, by SQLSTATE; the server's
//! message, detail and hint are kept, and the SQLSTATE ends the message
//! (`… [SQLSTATE 23505]`) whatever the kind.
//!
//! | SQLSTATE                                                  | kind             |
//! |-----------------------------------------------------------|------------------|
//! | `23502` not null, `23514` check                           | `invalid-input` (the row itself is wrong) |
//! | other class `23` (unique `23505`, foreign key `23503`, exclusion) | `conflict` |
//! | `42P01` undefined table, `3D000` no such database, `3F000` no such schema | `not-found` |
//! | `42P07`, `42P06`, `42P04`, `42710`, `42701`, `42723` duplicates | `already-exists` |
//! | `28xxx` authentication, `42501` privilege, `25006` read-only transaction | `access-denied` |
//! | other class `42` (syntax, undefined column…), class `22` (bad data), `25001`, `42P18` | `invalid-input` |
//! | `53100` disk full, `53200` out of memory, `53400`, class `54` | `quota-exceeded` |
//! | `53300` too many connections, class `08`, `57P0x`, `57014`, `40001`, `40P01`, `55P03` | `unavailable` |
//! | `0A000` feature not supported                             | `unsupported`    |
//! | anything else                                             | `vendor` with the SQLSTATE as code |

use paddock_sdk::Error;
use postgres_protocol::message::backend::ErrorResponseBody;

use fallible_iterator::FallibleIterator;

/// The fields of an `ErrorResponse` the driver reports.
#[derive(Debug, Clone, Default)]
pub struct DbError {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<String>,
}

impl DbError {
    pub fn from_body(body: &ErrorResponseBody) -> DbError {
        let mut e = DbError::default();
        let mut fields = body.fields();
        while let Ok(Some(f)) = fields.next() {
            let v = String::from_utf8_lossy(f.value_bytes()).into_owned();
            match f.type_() {
                b'C' => e.code = v,
                b'M' => e.message = v,
                b'D' => e.detail = Some(v),
                b'H' => e.hint = Some(v),
                b'P' => e.position = Some(v),
                _ => {}
            }
        }
        e
    }

    /// The full text: message, detail, hint, position, SQLSTATE.
    pub fn text(&self) -> String {
        let mut s = self.message.clone();
        if let Some(d) = &self.detail {
            s.push_str(&format!("; {d}"));
        }
        if let Some(h) = &self.hint {
            s.push_str(&format!("; hint: {h}"));
        }
        if let Some(p) = &self.position {
            s.push_str(&format!(" (at character {p})"));
        }
        s.push_str(&format!(" [SQLSTATE {}]", self.code));
        s
    }

    pub fn into_error(self) -> Error {
        map(&self.code, self.text())
    }
}

/// The kind of SQLSTATE `code`, with message `msg`.
pub fn map(code: &str, msg: String) -> Error {
    let class = code.get(..2).unwrap_or("");
    match code {
        "23502" | "23514" => Error::invalid_input(msg),
        _ if class == "23" => Error::conflict(msg),
        "42P01" | "3D000" | "3F000" => Error::not_found(msg),
        "42P07" | "42P06" | "42P04" | "42710" | "42701" | "42723" => Error::already_exists(msg),
        "42501" | "25006" => Error::access_denied(msg),
        _ if class == "28" => Error::access_denied(msg),
        "25001" | "25P02" | "42P18" => Error::invalid_input(msg),
        _ if class == "42" || class == "22" => Error::invalid_input(msg),
        "53300" => Error::unavailable(msg, Some(1000)),
        _ if class == "53" || class == "54" => Error::quota_exceeded(msg),
        "57014" | "40001" | "40P01" | "55P03" => Error::unavailable(msg, None),
        _ if class == "08" || code.starts_with("57P0") => Error::unavailable(msg, Some(1000)),
        "0A000" => Error::unsupported(msg),
        _ => Error::vendor(code, msg),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_sqlstate() {
        for (code, kind) in [
            ("23505", "conflict"),
            ("23503", "conflict"),
            ("23P01", "conflict"),
            ("23502", "invalid-input"),
            ("23514", "invalid-input"),
            ("42P01", "not-found"),
            ("3D000", "not-found"),
            ("42P07", "already-exists"),
            ("42710", "already-exists"),
            ("42601", "invalid-input"),
            ("42703", "invalid-input"),
            ("22P02", "invalid-input"),
            ("28P01", "access-denied"),
            ("28000", "access-denied"),
            ("25006", "access-denied"),
            ("42501", "access-denied"),
            ("53100", "quota-exceeded"),
            ("53200", "quota-exceeded"),
            ("54001", "quota-exceeded"),
            ("53300", "unavailable"),
            ("57P01", "unavailable"),
            ("08006", "unavailable"),
            ("40P01", "unavailable"),
            ("0A000", "unsupported"),
            ("XX000", "vendor"),
        ] {
            assert_eq!(map(code, "m".into()).kind(), kind, "{code}");
        }
        match map("XX001", "broken".into()) {
            Error::Vendor(v) => {
                assert_eq!((v.code.as_str(), v.message.as_str()), ("XX001", "broken"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_keeps_everything() {
        let e = DbError {
            code: "23505".into(),
            message: "duplicate key value violates unique constraint \"t_pkey\"".into(),
            detail: Some("Key (id)=(1) already exists.".into()),
            hint: None,
            position: None,
        };
        let err = e.into_error();
        assert_eq!(err.kind(), "conflict");
        assert_eq!(
            err.message(),
            "duplicate key value violates unique constraint \"t_pkey\"; Key (id)=(1) already exists. [SQLSTATE 23505]"
        );
        assert_eq!(within(err, "row 3").kind(), "conflict");
    }
}
