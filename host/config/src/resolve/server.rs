//! Server settings: listen address, data folder, plugins folder.
//!
//! Priority: command line ([`super::Overrides`]) > `PADDOCK_LISTEN`,
//! `PADDOCK_DATA`, `PADDOCK_PLUGINS` > `paddock.toml` `[server]` > defaults
//! (`127.0.0.1:7001`, `.paddock`, `<data>/plugins`). An empty variable counts
//! as unset. Command-line, environment and default paths are relative to the
//! working directory; paths in `paddock.toml` to that file's folder.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};

use super::Overrides;
use crate::env::Environment;
use crate::error::Issue;
use crate::files::PaddockToml;
use crate::interpolate::Interpolator;
use crate::paths::{absolutize, folder_of};

/// The listen address when nothing sets one.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7001";
/// The data folder when nothing sets one, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = ".paddock";

/// `[server]` after interpolation, with the file it came from.
#[derive(Default)]
pub(super) struct Section {
    file: Option<PathBuf>,
    listen: Option<String>,
    plugins: Option<String>,
    data: Option<String>,
    pub(super) drivers: Option<String>,
}

pub(super) fn interpolate_section(
    paddock: Option<&PaddockToml>,
    interp: &mut Interpolator<'_>,
) -> Section {
    let Some(paddock) = paddock else {
        return Section::default();
    };
    let file = &paddock.origin;
    let mut expand = |value: &Option<String>, key: &str| {
        value
            .as_ref()
            .and_then(|v| interp.expand(v, || format!("{}: server.{key}", file.display())))
    };
    let server = &paddock.server;
    Section {
        listen: expand(&server.listen, "listen"),
        plugins: expand(&server.plugins, "plugins"),
        data: expand(&server.data, "data"),
        drivers: expand(&server.drivers, "drivers"),
        file: Some(file.clone()),
    }
}

/// The resolved server settings.
pub(super) struct Settings {
    pub(super) listen: SocketAddr,
    pub(super) plugins_dir: PathBuf,
    pub(super) data_dir: PathBuf,
}

pub(super) fn resolve(
    overrides: &Overrides,
    env: &Environment,
    wd: &Path,
    section: &Section,
    issues: &mut Vec<Issue>,
) -> Settings {
    let file_origin = |key: &str| match &section.file {
        Some(file) => format!("{}: server.{key}", file.display()),
        None => format!("server.{key}"),
    };
    let file_dir = section.file.as_deref().map(folder_of);

    let listen = pick(
        overrides.listen.as_deref(),
        "--listen",
        env,
        "PADDOCK_LISTEN",
        section.listen.as_deref(),
        || file_origin("listen"),
    );
    let listen = match listen {
        Some((value, origin)) => parse_listen(value).unwrap_or_else(|| {
            issues.push(Issue::InvalidValue {
                what: "listen address".to_owned(),
                value: value.to_owned(),
                origin,
                expected: "write ip:port, such as 127.0.0.1:7001, [::1]:7001 or localhost:7001"
                    .to_owned(),
            });
            default_listen()
        }),
        None => default_listen(),
    };

    let path_of = |cli: Option<&Path>, var: &str, file_value: Option<&str>| {
        if let Some(path) = cli {
            Some(absolutize(wd, path))
        } else if let Some(path) = env.non_empty(var) {
            Some(absolutize(wd, Path::new(path)))
        } else {
            file_value.map(|path| absolutize(file_dir.as_deref().unwrap_or(wd), Path::new(path)))
        }
    };
    let data_dir = path_of(
        overrides.data.as_deref(),
        "PADDOCK_DATA",
        section.data.as_deref(),
    )
    .unwrap_or_else(|| wd.join(DEFAULT_DATA_DIR));
    let plugins_dir = path_of(
        overrides.plugins.as_deref(),
        "PADDOCK_PLUGINS",
        section.plugins.as_deref(),
    )
    .unwrap_or_else(|| data_dir.join("plugins"));

    Settings {
        listen,
        plugins_dir,
        data_dir,
    }
}

/// The highest-priority value of flag, variable and file, with its origin.
fn pick<'a>(
    cli: Option<&'a str>,
    flag: &str,
    env: &'a Environment,
    var: &str,
    file_value: Option<&'a str>,
    file_origin: impl FnOnce() -> String,
) -> Option<(&'a str, String)> {
    if let Some(value) = cli {
        return Some((value, flag.to_owned()));
    }
    if let Some(value) = env.non_empty(var) {
        return Some((value, format!("env {var}")));
    }
    file_value.map(|value| (value, file_origin()))
}

fn default_listen() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 7001))
}

/// `ip:port`, `[v6]:port`, or `localhost:port` (→ 127.0.0.1).
fn parse_listen(value: &str) -> Option<SocketAddr> {
    let value = value.trim();
    if let Ok(addr) = value.parse() {
        return Some(addr);
    }
    let port = value.strip_prefix("localhost:")?.parse().ok()?;
    Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen("127.0.0.1:7001"), Some(default_listen()));
        assert_eq!(parse_listen("localhost:7001"), Some(default_listen()));
        assert_eq!(
            parse_listen("[::1]:8080"),
            Some("[::1]:8080".parse().unwrap())
        );
        assert_eq!(parse_listen("0.0.0.0"), None);
        assert_eq!(parse_listen("example.com:80"), None);
        assert_eq!(
            DEFAULT_LISTEN.parse::<SocketAddr>().ok(),
            Some(default_listen())
        );
    }
}
