//! `list`: a depth-first walk of a container's objects tree that yields keys
//! in lexical byte order.
//!
//! Walking folders in name order would not do: `a/b` is stored in folder
//! `a`, yet `a-c` < `a/b` < `a0`. Each folder's entries are instead visited
//! in the order of [`Entry::sort_key`] (a folder sorts as its segment and
//! `/`), under which every entry's keys are contiguous, so the walk is in key
//! order. Subtrees wholly outside the prefix, before the cursor, or rolled up
//! under a delimiter are not read, so a page costs the folders on its path,
//! not the whole container. The walk stops at the first entry past a full
//! page, so the last page has no cursor even when it is exactly full.

use std::fs::{self, File};
use std::io::{self, ErrorKind};
use std::path::Path;

use paddock_sdk::storage::ObjectPage;
use paddock_sdk::{Error, Result};

use crate::containers;
use crate::fsx::io_error;
use crate::keys::{MAX_KEY_BYTES, check_key};
use crate::layout::{Entry, Kind, Root};
use crate::record;
use paddock_sdk::storage::Cursor;

/// Page size of `list` when the caller names none, and the largest allowed.
pub const MAX_PAGE: u32 = 1000;

/// One page of keys under `prefix`; with a delimiter, keys that have it
/// after the prefix are rolled up into one common prefix each, which counts
/// as one entry of the page (as in S3).
pub fn list(
    root: &Root,
    container: &str,
    prefix: Option<String>,
    delimiter: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<ObjectPage> {
    containers::require(root, container)?;
    let prefix = prefix.unwrap_or_default();
    if prefix.len() > MAX_KEY_BYTES {
        return Err(Error::invalid_input(
            "prefix must be at most 1024 bytes, as keys are",
        ));
    }
    if delimiter.as_deref() == Some("") {
        return Err(Error::invalid_input(
            "delimiter must not be empty; omit it to list flat",
        ));
    }
    let limit = match limit {
        Some(0) => {
            return Err(Error::invalid_input(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        Some(n) => n.min(MAX_PAGE),
        None => MAX_PAGE,
    } as usize;
    let cursor = cursor.as_deref().map(Cursor::decode).transpose()?;
    if let Some(c) = &cursor
        && !c.key().starts_with(&prefix)
    {
        return Err(Error::invalid_input(
            "cursor belongs to a listing with another prefix; pass the same prefix as on the first page",
        ));
    }
    let mut walk = Walk {
        prefix: prefix.as_bytes(),
        delimiter: delimiter.as_deref().map(str::as_bytes),
        after: cursor.as_ref().map(|c| c.key().as_bytes().to_vec()),
        skip: match &cursor {
            Some(Cursor::Beyond(p)) => Some(p.as_bytes().to_vec()),
            _ => None,
        },
        limit,
        page: ObjectPage {
            objects: Vec::new(),
            prefixes: Vec::new(),
            next_cursor: None,
        },
        last: None,
        container,
    };
    walk.dir(&root.objects(container), &[], false)?;
    Ok(walk.page)
}

/// Whether any object file is below `dir` (a missing folder has none).
pub fn any_object(dir: &Path) -> io::Result<bool> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if (file_type.is_file() && Entry::parse(&name, false, true).is_some())
            || (file_type.is_dir() && any_object(&entry.path())?)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

struct Walk<'a> {
    prefix: &'a [u8],
    delimiter: Option<&'a [u8]>,
    /// Only keys after this (the cursor's key).
    after: Option<Vec<u8>>,
    /// No keys starting with this (the last prefix rolled up).
    skip: Option<Vec<u8>>,
    limit: usize,
    page: ObjectPage,
    /// Where the page so far ends.
    last: Option<Cursor>,
    container: &'a str,
}

impl Walk<'_> {
    /// Visits a folder of the tree whose keys all start with `base`.
    fn dir(&mut self, dir: &Path, base: &[u8], in_cont: bool) -> Result<Flow> {
        for entry in self.entries(dir, in_cont)? {
            let path = dir.join(&entry.name);
            let mut key = [base, &entry.bytes].concat();
            let flow = match entry.kind {
                Kind::Object => self.object(&path, key)?,
                Kind::Dir => {
                    key.push(b'/');
                    self.subtree(&path, key, false)?
                }
                Kind::Cont => self.subtree(&path, key, true)?,
            };
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Go)
    }

    /// A folder's entries in key order; none when the folder has just been
    /// removed by a concurrent delete.
    fn entries(&self, dir: &Path, in_cont: bool) -> Result<Vec<Entry>> {
        let doing = || format!("listing container '{}'", self.container);
        let read = match fs::read_dir(dir) {
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(e, &doing())),
        };
        let mut entries = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| io_error(e, &doing()))?;
            let file_type = entry.file_type().map_err(|e| io_error(e, &doing()))?;
            if !file_type.is_file() && !file_type.is_dir() {
                continue; // symlinks and the like are not ours
            }
            if let Some(name) = entry.file_name().to_str()
                && let Some(e) = Entry::parse(name, file_type.is_dir(), in_cont)
            {
                entries.push(e);
            }
        }
        entries.sort_by_cached_key(Entry::sort_key);
        Ok(entries)
    }

    /// A folder whose keys all start with `head`.
    fn subtree(&mut self, dir: &Path, head: Vec<u8>, in_cont: bool) -> Result<Flow> {
        if !head.starts_with(self.prefix) && !self.prefix.starts_with(&head) {
            return Ok(Flow::Go);
        }
        if let Some(after) = &self.after
            && !after.starts_with(&head)
            && head < *after
        {
            return Ok(Flow::Go); // every key below sorts before the cursor
        }
        if self.skip.as_ref().is_some_and(|s| head.starts_with(s)) {
            return Ok(Flow::Go);
        }
        if let Some(common) = self.rolled(&head) {
            // Every key below rolls up into `common`: one look for an
            // object instead of reading them all.
            let doing = format!("listing container '{}'", self.container);
            return if any_object(dir).map_err(|e| io_error(e, &doing))? {
                self.emit_prefix(common)
            } else {
                Ok(Flow::Go)
            };
        }
        self.dir(dir, &head, in_cont)
    }

    fn object(&mut self, path: &Path, key: Vec<u8>) -> Result<Flow> {
        if !key.starts_with(self.prefix)
            || self.after.as_ref().is_some_and(|a| key <= *a)
            || self.skip.as_ref().is_some_and(|s| key.starts_with(s))
        {
            return Ok(Flow::Go);
        }
        let Ok(key) = String::from_utf8(key) else {
            return Ok(Flow::Go);
        };
        if check_key(&key).is_err() {
            return Ok(Flow::Go); // a file placed by hand under a name no key has
        }
        match self.rolled(key.as_bytes()) {
            Some(common) => self.emit_prefix(common),
            None => self.emit_object(path, key),
        }
    }

    /// The common prefix `key` rolls up into: up to the first delimiter
    /// after the prefix, when that delimiter lies wholly within `key`.
    fn rolled(&self, key: &[u8]) -> Option<Vec<u8>> {
        let d = self.delimiter?;
        let rest = key.strip_prefix(self.prefix)?;
        let at = rest.windows(d.len()).position(|w| w == d)?;
        Some(key[..self.prefix.len() + at + d.len()].to_vec())
    }

    fn full(&mut self) -> bool {
        if self.page.objects.len() + self.page.prefixes.len() < self.limit {
            return false;
        }
        self.page.next_cursor = self.last.as_ref().map(Cursor::encode);
        true
    }

    fn emit_prefix(&mut self, common: Vec<u8>) -> Result<Flow> {
        if self.full() {
            return Ok(Flow::Stop);
        }
        // Cut after a whole delimiter inside a UTF-8 key, so always UTF-8.
        let text = String::from_utf8(common.clone())
            .map_err(|_| Error::vendor("corrupt-object", "a rolled-up prefix is not UTF-8"))?;
        self.page.prefixes.push(text.clone());
        self.last = Some(Cursor::Beyond(text));
        self.skip = Some(common);
        Ok(Flow::Go)
    }

    fn emit_object(&mut self, path: &Path, key: String) -> Result<Flow> {
        if self.full() {
            return Ok(Flow::Stop);
        }
        let what = format!("object '{key}' in container '{}'", self.container);
        let file = match File::open(path) {
            Ok(file) => file,
            // Deleted since the folder was read: not part of the listing.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Flow::Go),
            Err(e) => return Err(io_error(e, &format!("reading {what}"))),
        };
        let (record, modified_ms) = record::read(&file, &what)?;
        let mut meta = record.to_meta(modified_ms);
        meta.key = key.clone();
        self.page.objects.push(meta);
        self.last = Some(Cursor::After(key));
        Ok(Flow::Go)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::CHUNK;
    use crate::testing::{BOX, Fixture};

    /// Keys whose lexical order differs from the order of a folder walk.
    fn tricky_keys() -> Vec<String> {
        let x = |n: usize| "x".repeat(n);
        let mut keys: Vec<String> = [
            "a",
            "a-c",
            "a/b",
            "a/b/c",
            "a/b-",
            "a0",
            "a.b",
            "A",
            "B/x",
            "é",
            "é/f",
            "~",
            "a b",
            "a/b/c/d/e",
            "ü-",
            "ü/ü",
        ]
        .map(str::to_owned)
        .into();
        for tail in ["", "-z", "/y", "/y/z", "z", "-"] {
            for n in [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK] {
                keys.push(format!("{}{tail}", x(n)));
            }
        }
        // A multi-byte character cut by the 80-byte boundary.
        keys.push(format!("{}é/k", x(CHUNK - 1)));
        keys.push(format!("{}é", x(CHUNK - 1)));
        keys
    }

    fn fixture_with(keys: &[String]) -> Fixture {
        let f = Fixture::new();
        // Written in reverse order: the listing is lexical whatever the order of writes.
        for k in keys.iter().rev() {
            f.put(k, k.as_bytes()).unwrap();
        }
        f
    }

    /// What S3 would answer, as (is a prefix, text), from a plain sort.
    fn model(keys: &[String], prefix: &str, delimiter: Option<&str>) -> Vec<(bool, String)> {
        let mut sorted: Vec<&String> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
        sorted.sort();
        let mut out: Vec<(bool, String)> = Vec::new();
        for k in sorted {
            let rolled = delimiter.and_then(|d| {
                k[prefix.len()..]
                    .find(d)
                    .map(|i| k[..prefix.len() + i + d.len()].to_owned())
            });
            match rolled {
                Some(p) if out.last() == Some(&(true, p.clone())) => {}
                Some(p) => out.push((true, p)),
                None => out.push((false, k.clone())),
            }
        }
        out
    }

    /// Every page of a listing, as (is a prefix, text), and the page count.
    fn walk_pages(
        f: &Fixture,
        prefix: &str,
        delimiter: Option<&str>,
        limit: Option<u32>,
    ) -> (Vec<(bool, String)>, usize) {
        let (mut out, mut cursor, mut pages) = (Vec::new(), None, 0);
        loop {
            let page = list(
                &f.root,
                BOX,
                Some(prefix.into()),
                delimiter.map(Into::into),
                cursor,
                limit,
            )
            .unwrap();
            pages += 1;
            let n = page.objects.len() + page.prefixes.len();
            assert!(n <= limit.unwrap_or(MAX_PAGE) as usize);
            // Objects and prefixes of one page interleave in key order.
            let mut here: Vec<(bool, String)> = page
                .objects
                .into_iter()
                .map(|o| (false, o.key))
                .chain(page.prefixes.into_iter().map(|p| (true, p)))
                .collect();
            here.sort_by(|a, b| a.1.cmp(&b.1));
            out.extend(here);
            match page.next_cursor {
                Some(c) => {
                    assert_eq!(
                        n,
                        limit.unwrap_or(MAX_PAGE) as usize,
                        "only full pages have a cursor"
                    );
                    cursor = Some(c);
                }
                None => return (out, pages),
            }
        }
    }

    #[test]
    fn lexical_order_across_nested_folders() {
        let keys = tricky_keys();
        let f = fixture_with(&keys);
        let page = list(&f.root, BOX, None, None, None, None).unwrap();
        let listed: Vec<String> = page.objects.iter().map(|o| o.key.clone()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(listed, sorted);
        assert!(page.next_cursor.is_none());
        let first = &page.objects[0];
        assert_eq!(first.size, first.key.len() as u64);
    }

    #[test]
    fn prefixes_delimiters_and_pages_match_the_model() {
        let keys = tricky_keys();
        let f = fixture_with(&keys);
        let x = |n: usize| "x".repeat(n);
        let prefixes = [
            String::new(),
            "a".into(),
            "a/".into(),
            "a/b".into(),
            "é".into(),
            "ü".into(),
            "nothing".into(),
            x(CHUNK - 1),
            x(CHUNK),
            format!("{}/", x(CHUNK)),
            x(CHUNK + 1),
            // Ends inside a multi-byte character's neighbour segment.
            format!("{}é", x(CHUNK - 1)),
        ];
        for prefix in &prefixes {
            for delimiter in [None, Some("/"), Some("-"), Some("b/"), Some("xx")] {
                let expected = model(&keys, prefix, delimiter);
                for limit in [Some(1), Some(2), Some(3), Some(7), None] {
                    let (got, _) = walk_pages(&f, prefix, delimiter, limit);
                    assert_eq!(
                        got, expected,
                        "prefix {prefix:?} delimiter {delimiter:?} limit {limit:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn more_than_a_thousand_keys_page_by_page() {
        let f = Fixture::new();
        let mut keys = Vec::new();
        for i in 0..2100 {
            // Spread over folders, some keys beside a folder of the same name.
            let key = match i % 3 {
                0 => format!("logs/{:02}/{i:05}", i % 17),
                1 => format!("logs/{:02}-{i:05}", i % 17),
                _ => format!("n{i:05}"),
            };
            f.plant(&key, key.as_bytes());
            keys.push(key);
        }
        keys.sort();
        let first = list(&f.root, BOX, None, None, None, None).unwrap();
        assert!(first.objects.iter().all(|o| o.size == o.key.len() as u64));
        let (got, pages) = walk_pages(&f, "", None, None);
        assert_eq!(pages, 3);
        assert_eq!(got.into_iter().map(|(_, k)| k).collect::<Vec<_>>(), keys);
        let (got, pages) = walk_pages(&f, "logs/", Some("/"), Some(10));
        assert_eq!(got, model(&keys, "logs/", Some("/")));
        assert_eq!(pages, (got.len()).div_ceil(10));
        // Exactly a full page: no cursor.
        let exact = list(&f.root, BOX, Some("n".into()), None, None, Some(700)).unwrap();
        assert_eq!((exact.objects.len(), exact.next_cursor), (700, None));
    }

    #[test]
    fn foreign_files_are_ignored() {
        let keys: Vec<String> = ["a/b", "c"].map(str::to_owned).into();
        let f = fixture_with(&keys);
        let objects = f.root.objects(BOX);
        std::fs::write(objects.join(".DS_Store"), b"x").unwrap();
        std::fs::write(objects.join("a.dir/notes.txt"), b"x").unwrap();
        std::fs::write(objects.join("^upper.dir"), b"x").unwrap();
        std::fs::create_dir(objects.join("Stray.dir")).unwrap();
        std::fs::write(objects.join("Stray.dir/k.obj"), b"x").unwrap();
        let (got, _) = walk_pages(&f, "", None, None);
        assert_eq!(got, model(&keys, "", None));
    }

    #[test]
    fn rejects_bad_arguments() {
        let keys: Vec<String> = ["a/1", "b/1"].map(str::to_owned).into();
        let f = fixture_with(&keys);
        let l = |p: Option<&str>, d: Option<&str>, c: Option<&str>, n| {
            list(
                &f.root,
                BOX,
                p.map(Into::into),
                d.map(Into::into),
                c.map(Into::into),
                n,
            )
            .unwrap_err()
            .kind()
        };
        assert_eq!(l(None, None, None, Some(0)), "invalid-input");
        assert_eq!(l(None, Some(""), None, None), "invalid-input");
        assert_eq!(l(None, None, Some("garbage"), None), "invalid-input");
        assert_eq!(
            l(Some(&"p".repeat(1025)), None, None, None),
            "invalid-input"
        );
        let c = list(&f.root, BOX, None, None, None, Some(1))
            .unwrap()
            .next_cursor
            .unwrap();
        assert_eq!(l(Some("b/"), None, Some(&c), None), "invalid-input");
        let e = list(&f.root, "nope", None, None, None, None).unwrap_err();
        assert_eq!(e.kind(), "not-found");
        // A limit above the maximum is lowered to it.
        assert_eq!(
            list(&f.root, BOX, None, None, None, Some(5000))
                .unwrap()
                .objects
                .len(),
            2
        );
    }
}
