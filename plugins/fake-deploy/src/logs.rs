//! Build logs: a line for every change of a deployment, paged by cursor.

use paddock_sdk::deploy::{LogLine, LogPage};
use paddock_sdk::state::Store;
use paddock_sdk::time::rfc3339;
use paddock_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::layout;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub timestamp: String,
    pub message: String,
}

/// Appends line number `i` of deployment `n`.
pub fn append(store: &mut dyn Store, n: u64, i: u32, now_ms: u64, message: impl Into<String>) {
    let line = Line {
        timestamp: rfc3339(now_ms),
        message: message.into(),
    };
    layout::save(store, &layout::log_key(n, i), &line);
}

/// A page of deployment `n`'s lines (`id` names it in messages and cursors).
pub fn page(
    store: &dyn Store,
    n: u64,
    id: &str,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<LogPage> {
    let limit = match limit.unwrap_or(DEFAULT_PAGE) {
        0 => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        l => l.min(MAX_PAGE),
    };
    let after = match cursor {
        None => None,
        Some(c) => {
            let i: u32 = c
                .strip_prefix(id)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|i| i.parse().ok())
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "cursor '{c}' was not returned by logs of {id}; pass back next-cursor unchanged"
                    ))
                })?;
            Some(layout::log_key(n, i))
        }
    };
    let mut keys = store.keys(&layout::log_prefix(n), after.as_deref(), limit + 1);
    let more = keys.len() > limit as usize;
    keys.truncate(limit as usize);
    let mut lines = Vec::with_capacity(keys.len());
    for key in &keys {
        if let Some(l) = layout::load::<Line>(store, key)? {
            lines.push(LogLine {
                timestamp: l.timestamp,
                message: l.message,
            });
        }
    }
    let next_cursor = match (more, keys.last()) {
        (true, Some(last)) => {
            let i: u32 = last
                .rsplit('/')
                .next()
                .and_then(|i| i.parse().ok())
                .unwrap_or(0);
            Some(format!("{id}:{i}"))
        }
        _ => None,
    };
    Ok(LogPage { lines, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::state::MemoryStore;

    #[test]
    fn pages() {
        let mut s = MemoryStore::new();
        for i in 0..5 {
            append(&mut s, 7, i, 0, format!("line {i}"));
        }
        append(&mut s, 8, 0, 0, "other deployment");
        let (mut got, mut cursor) = (vec![], None);
        loop {
            let p = page(&s, 7, "dpl_7", cursor, Some(2)).unwrap();
            got.extend(p.lines.into_iter().map(|l| l.message));
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(got, ["line 0", "line 1", "line 2", "line 3", "line 4"]);
        assert_eq!(
            page(&s, 7, "dpl_7", Some("dpl_8:1".into()), None)
                .unwrap_err()
                .kind(),
            "invalid-input"
        );
        assert_eq!(
            page(&s, 7, "dpl_7", None, Some(0)).unwrap_err().kind(),
            "invalid-input"
        );
    }
}
