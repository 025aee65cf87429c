//! Path helpers: relative paths are resolved lexically, never by touching the
//! filesystem (the folders may not exist yet).

use std::path::{Component, Path, PathBuf};

/// `path` if absolute, else `base.join(path)`, with `.` components removed.
/// `..` is kept: removing it lexically would be wrong across symlinks.
pub(crate) fn absolutize(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    };
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The folder holding `file` (`/` for a file at the root).
pub(crate) fn folder_of(file: &Path) -> PathBuf {
    file.parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths_lexically() {
        let base = Path::new("/srv/app");
        assert_eq!(
            absolutize(base, Path::new("./data/db")),
            Path::new("/srv/app/data/db")
        );
        assert_eq!(absolutize(base, Path::new("/abs")), Path::new("/abs"));
        assert_eq!(
            absolutize(base, Path::new("../x")),
            Path::new("/srv/app/../x")
        );
        assert_eq!(
            folder_of(Path::new("/srv/app/paddock.toml")),
            Path::new("/srv/app")
        );
    }
}
