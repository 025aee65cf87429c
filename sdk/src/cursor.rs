//! Opaque `list` cursors for storage drivers that page through keys
//! themselves. A page ends either on an object key or on a rolled-up prefix;
//! the next page starts after the key, or after every key under the prefix.
//! Hex keeps the token opaque and safe in URLs and JSON.

use crate::{Error, Result};

/// Where the previous page stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// After this object key.
    After(String),
    /// After every key starting with this common prefix.
    Beyond(String),
}

impl Cursor {
    /// The token handed to the caller as `next-cursor`.
    pub fn encode(&self) -> String {
        match self {
            Cursor::After(k) => format!("o{}", hex(k.as_bytes())),
            Cursor::Beyond(p) => format!("p{}", hex(p.as_bytes())),
        }
    }

    /// Reads a token [`Cursor::encode`] made; `invalid-input` for others.
    pub fn decode(token: &str) -> Result<Cursor> {
        let bad = || {
            Error::invalid_input(format!(
                "cursor '{token}' is not one this driver returned; pass back a next-cursor unchanged"
            ))
        };
        let (tag, body) = token.split_at_checked(1).ok_or_else(bad)?;
        let text = unhex(body)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        match tag {
            "o" => Ok(Cursor::After(text)),
            "p" => Ok(Cursor::Beyond(text)),
            _ => Err(bad()),
        }
    }

    /// The key or prefix the cursor names.
    pub fn key(&self) -> &str {
        match self {
            Cursor::After(k) | Cursor::Beyond(k) => k,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_foreign_tokens() {
        for c in [
            Cursor::After("a/b ü".into()),
            Cursor::Beyond("logs/".into()),
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        for bad in ["", "x61", "o6", "ozz", "a/b"] {
            assert_eq!(
                Cursor::decode(bad).unwrap_err().kind(),
                "invalid-input",
                "{bad}"
            );
        }
    }
}
