//! What a deployment is built from, described for its log. A folder is
//! walked (read-only, symlinks not followed) to count its files and bytes;
//! a fake called directly may get a path that is not there, and says so.

use std::fs;
use std::path::Path;

use paddock_sdk::deploy::Source;
use paddock_sdk::{Error, Result};

/// Stop counting here: the point is a log line, not an audit.
const MAX_ENTRIES: u64 = 100_000;

pub fn describe(source: &Source) -> Result<String> {
    match source {
        Source::Folder(path) if path.is_empty() => {
            Err(Error::invalid_input("source folder path is empty"))
        }
        Source::Folder(path) => Ok(match count(Path::new(path)) {
            Ok((files, bytes, false)) => {
                format!("source: folder {path} ({files} files, {bytes} bytes)")
            }
            Ok((files, bytes, true)) => {
                format!("source: folder {path} (stopped counting at {files} files, {bytes} bytes)")
            }
            Err(e) => {
                format!("source: folder {path} (not readable from the driver: {e}; recorded only)")
            }
        }),
        Source::Git(g) if g.repository.is_empty() || g.reference.is_empty() => {
            Err(Error::invalid_input(
                "git source needs both a repository and a reference (branch, tag or commit)",
            ))
        }
        Source::Git(g) => Ok(format!("source: git {} at {}", g.repository, g.reference)),
        Source::Image(i) if i.is_empty() => Err(Error::invalid_input(
            "image source needs an image reference",
        )),
        Source::Image(i) => Ok(format!("source: image {i}")),
    }
}

/// Files, bytes, and whether the walk stopped early.
fn count(root: &Path) -> std::io::Result<(u64, u64, bool)> {
    let (mut files, mut bytes, mut stack) = (0u64, 0u64, vec![root.to_path_buf()]);
    fs::read_dir(root)?;
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)?.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                files += 1;
                bytes += meta.len();
                if files >= MAX_ENTRIES {
                    return Ok((files, bytes, true));
                }
            }
        }
    }
    Ok((files, bytes, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_sdk::deploy::GitSource;

    #[test]
    fn describes_sources() {
        let dir = std::env::temp_dir().join(format!("fake-deploy-test-{}", std::process::id()));
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("index.html"), b"hello").unwrap();
        fs::write(dir.join("sub/a.css"), b"abc").unwrap();
        let d = describe(&Source::Folder(dir.display().to_string())).unwrap();
        assert!(d.ends_with("(2 files, 8 bytes)"), "{d}");
        fs::remove_dir_all(&dir).unwrap();
        let d = describe(&Source::Folder("/definitely/not/here".into())).unwrap();
        assert!(d.contains("not readable from the driver"), "{d}");
        assert!(describe(&Source::Folder(String::new())).is_err());
        let git = GitSource {
            repository: "https://github.com/a/b".into(),
            reference: "main".into(),
        };
        assert_eq!(
            describe(&Source::Git(git)).unwrap(),
            "source: git https://github.com/a/b at main"
        );
        assert!(describe(&Source::Image(String::new())).is_err());
    }
}
