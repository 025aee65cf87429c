//! Where things live under the root folder, and how keys become paths.
//!
//! Every key segment becomes one folder level, so `list` with a prefix only
//! reads the folders on the prefix's path. A segment's bytes are written in
//! a small alphabet ([`encode`]): `a-z 0-9 . _ -` as themselves, an
//! uppercase letter as `^` and the letter, any other byte as `%` and two
//! lowercase hex digits. Names on disk are then plain lowercase ASCII, so
//! two keys never share a file on a case-insensitive or
//! Unicode-normalising file system (macOS, Windows), and nothing is read
//! back differently from how it was written.
//!
//! Each name ends in a suffix saying what it is, so an object `a` and the
//! keys below `a/` live side by side:
//!
//! - `<segment>.obj`: an object (the last segment of its key);
//! - `<segment>.dir`: a folder holding the keys below `<segment>/`;
//! - `<80 bytes>.cont`: a folder holding the rest of a segment longer than
//!   80 bytes. Names stay under the usual 255-byte limit (80 bytes encode to
//!   at most 240), and since a segment is cut every 80 bytes exactly, each
//!   entry's keys are contiguous in lexical order (see [`Entry::sort_key`]).
//!
//! `photos/2024/IMG_1.jpg` is `photos.dir/2024.dir/^i^m^g_1.jpg.obj`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where this driver keeps its own files, beside the containers (a
/// container name never starts with `.`).
pub const ADMIN_DIR: &str = ".local-storage";
/// A container's objects, below its folder.
pub const OBJECTS_DIR: &str = "objects";
/// A container's temporary files (puts in flight), below its folder: in the
/// container so that the final rename never crosses file systems.
pub const TMP_DIR: &str = "tmp";
/// A container's record (its creation time), below its folder.
pub const CONTAINER_FILE: &str = "container.json";

/// Bytes of a segment per name on disk; the rest continues one level down.
pub const CHUNK: usize = 80;

/// The root folder (`/data` in the guest, a temporary folder in tests).
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
}

impl Root {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Root { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn container(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn objects(&self, container: &str) -> PathBuf {
        self.container(container).join(OBJECTS_DIR)
    }

    pub fn tmp(&self, container: &str) -> PathBuf {
        self.container(container).join(TMP_DIR)
    }

    /// A folder of the driver's own (`staging`, `trash`, `probe`).
    pub fn admin(&self, sub: &str) -> PathBuf {
        self.path.join(ADMIN_DIR).join(sub)
    }
}

/// What a name on disk stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Dir,
    Cont,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::Object => ".obj",
            Kind::Dir => ".dir",
            Kind::Cont => ".cont",
        }
    }
}

/// The path of a (valid) key's object file, relative to the container's
/// objects folder.
pub fn object_path(key: &str) -> PathBuf {
    let segments: Vec<&[u8]> = key.as_bytes().split(|&b| b == b'/').collect();
    let mut path = PathBuf::new();
    for (i, segment) in segments.iter().enumerate() {
        let mut rest = *segment;
        while rest.len() >= CHUNK {
            path.push(name(&rest[..CHUNK], Kind::Cont));
            rest = &rest[CHUNK..];
        }
        let kind = if i + 1 == segments.len() {
            Kind::Object
        } else {
            Kind::Dir
        };
        path.push(name(rest, kind));
    }
    path
}

fn name(bytes: &[u8], kind: Kind) -> String {
    let mut out = encode(bytes);
    out.push_str(kind.suffix());
    out
}

/// A segment's bytes in the on-disk alphabet (see the module docs).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => out.push(b as char),
            b'A'..=b'Z' => {
                out.push('^');
                out.push(b.to_ascii_lowercase() as char);
            }
            _ => {
                let _ = write!(out, "%{b:02x}");
            }
        }
    }
    out
}

/// The bytes [`encode`] made `text` from; `None` for any other text, so
/// every decoded name maps back to exactly one name.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'^' => out.push(bytes.next()?.to_ascii_uppercase()),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    (encode(&out) == text).then_some(out)
}

/// One name found in a folder of the objects tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// The part of the key this name stands for.
    pub bytes: Vec<u8>,
    pub name: String,
}

impl Entry {
    /// Reads a name found in a folder. `None` for anything this driver does
    /// not write there (`.DS_Store`, an editor's backup, a name cut other
    /// than every [`CHUNK`] bytes), which is then left alone. `after_cont`:
    /// the folder is a `.cont`, where the rest of a segment may be empty.
    pub fn parse(name: &str, is_dir: bool, after_cont: bool) -> Option<Entry> {
        let kind = [Kind::Object, Kind::Dir, Kind::Cont]
            .into_iter()
            .find(|k| name.ends_with(k.suffix()))?;
        if (kind == Kind::Object) == is_dir {
            return None;
        }
        let bytes = decode(&name[..name.len() - kind.suffix().len()])?;
        let fits = match kind {
            Kind::Cont => bytes.len() == CHUNK,
            Kind::Object | Kind::Dir => bytes.len() < CHUNK && (after_cont || !bytes.is_empty()),
        };
        fits.then(|| Entry {
            kind,
            bytes,
            name: name.to_owned(),
        })
    }

    /// Where this entry sorts among its siblings: every key below it starts
    /// with this, and no sibling's keys fall between its keys. For a folder
    /// that is its segment and `/`; for a continuation its 80 bytes (the
    /// segment goes on with bytes other than `/`, while a sibling object or
    /// folder has fewer than 80 bytes, so the two never interleave).
    /// Visiting siblings in this order therefore yields keys in lexical
    /// order, whatever bytes the keys hold (`a-c` < `a/b` < `a0`).
    pub fn sort_key(&self) -> Vec<u8> {
        let mut key = self.bytes.clone();
        if self.kind == Kind::Dir {
            key.push(b'/');
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_is_strict() {
        for s in ["abc-1.2_3", "IMG", "a b", "ü", "%^~", ""] {
            let e = encode(s.as_bytes());
            assert!(
                e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-^%".contains(&b)),
                "{e}"
            );
            assert_eq!(decode(&e).unwrap(), s.as_bytes());
        }
        assert_eq!(encode(b"IMG_1.jpg"), "^i^m^g_1.jpg");
        assert_eq!(encode("a b/é".as_bytes()), "a%20b%2f%c3%a9");
        // Only what encode writes decodes: no uppercase, no needless or
        // uppercase escapes, no cut escapes.
        for bad in ["A", "%61", "%2F", "%2", "^", "^1", " "] {
            assert!(decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn paths_of_keys() {
        assert_eq!(
            object_path("photos/2024/IMG_1.jpg"),
            Path::new("photos.dir/2024.dir/^i^m^g_1.jpg.obj")
        );
        assert_eq!(object_path("a"), Path::new("a.obj"));
        let long = "x".repeat(CHUNK);
        assert_eq!(
            object_path(&format!("{long}/y")),
            Path::new(&format!("{long}.cont/.dir/y.obj"))
        );
        assert_eq!(
            object_path(&format!("{long}{long}z")),
            Path::new(&format!("{long}.cont/{long}.cont/z.obj"))
        );
        // Every name fits in 255 bytes, even for the widest bytes.
        let wide = "é".repeat(200);
        for part in object_path(&wide).iter() {
            assert!(part.len() <= 255);
        }
    }

    #[test]
    fn entries() {
        let e = Entry::parse("^a.dir", true, false).unwrap();
        assert_eq!((e.kind, e.sort_key()), (Kind::Dir, b"A/".to_vec()));
        assert_eq!(
            Entry::parse("a.obj", false, false).unwrap().kind,
            Kind::Object
        );
        // A kind that does not match the file type, foreign names, names
        // not cut every CHUNK bytes, empty names outside a continuation.
        for (name, is_dir, after_cont) in [
            ("a.obj", true, false),
            ("a.dir", false, false),
            (".DS_Store", false, false),
            ("A.obj", false, false),
            ("abc.cont", true, false),
            (".obj", false, false),
        ] {
            assert!(Entry::parse(name, is_dir, after_cont).is_none(), "{name}");
        }
        assert!(Entry::parse(".obj", false, true).is_some());
        let long = "x".repeat(CHUNK);
        assert!(Entry::parse(&format!("{long}.cont"), true, false).is_some());
        assert!(Entry::parse(&format!("{long}.obj"), false, false).is_none());
    }
}
