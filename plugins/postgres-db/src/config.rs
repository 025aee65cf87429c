//! Where to connect, from the slot's settings: a `url`
//! (`postgres://user:password@host:port/database?sslmode=disable`; the `db`
//! slot gets `DATABASE_URL` as its `url`), and the discrete `host`, `port`,
//! `user`, `database` settings, which win over the URL's parts.
//!
//! The password: the URL's, else the secret `PGPASSWORD` through
//! `secrets::reveal` (asked for only when the server wants a password). The
//! wire protocol needs the value itself inside the driver (SCRAM and md5
//! compute with it), so a placeholder cannot work here: the operator grants
//! `secrets = ["PGPASSWORD"], reveal = ["PGPASSWORD"]` for the slot. Neither
//! appears in any message: [`ConnectParams::target`] names the server
//! without it.

use paddock_sdk::{Error, Result};

/// The secret read for the password when the URL has none.
pub const PASSWORD_SECRET: &str = "PGPASSWORD";
pub const DEFAULT_PORT: u16 = 5432;

#[derive(Clone, PartialEq, Eq)]
pub struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    pub password: Option<String>,
    pub application_name: String,
}

impl std::fmt::Debug for ConnectParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectParams({})", self.target())
    }
}

impl ConnectParams {
    /// `user@host:port/database`, never the password.
    pub fn target(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}@{host}:{}/{}", self.user, self.port, self.database)
    }

    /// `host:port` as `TcpStream::connect` takes it.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The settings that say where to connect.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub url: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub database: Option<String>,
}

fn decode(text: &str, what: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::invalid_input(format!("the url's {what} has a bad %-escape"))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::invalid_input(format!("the url's {what} is not UTF-8")))
}

fn port(text: &str) -> Result<u16> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::invalid_input(format!("port '{text}' is not a TCP port")))
}

/// The connection parameters from the settings (see the module doc).
pub fn resolve(s: &Settings) -> Result<ConnectParams> {
    let mut p = ConnectParams {
        host: String::new(),
        port: DEFAULT_PORT,
        user: String::new(),
        database: String::new(),
        password: None,
        application_name: "paddock".into(),
    };
    if let Some(url) = s.url.as_deref().filter(|u| !u.is_empty()) {
        parse_url(url, &mut p)?;
    }
    if let Some(h) = s.host.as_deref().filter(|h| !h.is_empty()) {
        p.host = h.trim_start_matches('[').trim_end_matches(']').to_owned();
    }
    if let Some(n) = s.port.as_deref().filter(|h| !h.is_empty()) {
        p.port = port(n)?;
    }
    if let Some(u) = s.user.as_deref().filter(|h| !h.is_empty()) {
        p.user = u.to_owned();
    }
    if let Some(d) = s.database.as_deref().filter(|h| !h.is_empty()) {
        p.database = d.to_owned();
    }
    if p.host.is_empty() {
        return Err(Error::invalid_input(
            "no PostgreSQL server given: set the `url` setting (DATABASE_URL=postgres://user@host:5432/db) or `host`",
        ));
    }
    if p.host.starts_with('/') {
        return Err(Error::unsupported(format!(
            "'{}' is a Unix socket folder; the driver connects over TCP only (host:port)",
            p.host
        )));
    }
    if p.user.is_empty() {
        p.user = "postgres".into();
    }
    if p.database.is_empty() {
        p.database = p.user.clone();
    }
    Ok(p)
}

fn parse_url(url: &str, p: &mut ConnectParams) -> Result<()> {
    let rest = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| {
            url.get(..scheme.len())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .map(|_| &url[scheme.len()..])
        })
        .ok_or_else(|| {
            Error::invalid_input(
                "the url setting must start with postgres:// or postgresql:// \
                 (postgres://user:password@host:5432/database)",
            )
        })?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(info) = userinfo {
        let (user, password) = match info.split_once(':') {
            Some((u, pw)) => (u, Some(pw)),
            None => (info, None),
        };
        p.user = decode(user, "user")?;
        p.password = password.map(|pw| decode(pw, "password")).transpose()?;
    }
    if hostport.contains(',') {
        return Err(Error::unsupported(
            "the url names several hosts; the driver connects to one",
        ));
    }
    let (host, port_text) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| Error::invalid_input("the url's host has an unclosed '['"))?;
        (h.to_owned(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) => (h.to_owned(), Some(port)),
            None => (hostport.to_owned(), None),
        }
    };
    p.host = decode(&host, "host")?;
    if let Some(n) = port_text.filter(|n| !n.is_empty()) {
        p.port = port(n)?;
    }
    p.database = decode(path, "database")?;
    for pair in query.split('&').filter(|q| !q.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v, k)?;
        match k {
            "sslmode" => match v.as_str() {
                "disable" | "allow" | "prefer" => {}
                "require" | "verify-ca" | "verify-full" => {
                    return Err(Error::unsupported(format!(
                        "sslmode={v}: the driver has no TLS; connect over a trusted network \
                         (loopback, a private link) with sslmode=disable"
                    )));
                }
                other => {
                    return Err(Error::invalid_input(format!(
                        "sslmode={other} is not a libpq sslmode (disable, prefer, require…)"
                    )));
                }
            },
            "user" => p.user = v,
            "password" => p.password = Some(v),
            "dbname" => p.database = v,
            "host" => p.host = v,
            "port" => p.port = port(&v)?,
            "application_name" => p.application_name = v,
            // Client-side libpq options with no meaning here.
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Result<ConnectParams> {
        resolve(&Settings {
            url: Some(u.into()),
            ..Settings::default()
        })
    }

    #[test]
    fn urls() {
        let p = url("postgres://app:p%40ss@db.internal:6543/main?sslmode=disable").unwrap();
        assert_eq!(
            (
                p.host.as_str(),
                p.port,
                p.user.as_str(),
                p.database.as_str()
            ),
            ("db.internal", 6543, "app", "main")
        );
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        assert_eq!(p.target(), "app@db.internal:6543/main");
        assert!(!format!("{p:?}").contains("p@ss"));

        let p = url("postgresql://[::1]/x").unwrap();
        assert_eq!(
            (p.address().as_str(), p.user.as_str()),
            ("[::1]:5432", "postgres")
        );
        let p = url("POSTGRES://h").unwrap();
        assert_eq!((p.database.as_str(), p.password), ("postgres", None));
        let p = url("postgres://u@h/d?password=x&application_name=me").unwrap();
        assert_eq!(
            (p.password.as_deref(), p.application_name.as_str()),
            (Some("x"), "me")
        );
    }

    #[test]
    fn refusals() {
        let e = url("postgres://u:secret@h/d?sslmode=require").unwrap_err();
        assert_eq!(e.kind(), "unsupported");
        assert!(!e.message().contains("secret"));
        assert_eq!(url("mysql://h/d").unwrap_err().kind(), "invalid-input");
        assert_eq!(url("postgres://h:0/d").unwrap_err().kind(), "invalid-input");
        assert_eq!(url("postgres://a,b/d").unwrap_err().kind(), "unsupported");
        assert_eq!(
            url("postgres:///d?host=/run/pg").unwrap_err().kind(),
            "unsupported"
        );
        assert_eq!(
            resolve(&Settings::default()).unwrap_err().kind(),
            "invalid-input"
        );
    }

    #[test]
    fn settings_win_over_the_url() {
        let p = resolve(&Settings {
            url: Some("postgres://u:pw@h:1/d".into()),
            host: Some("other".into()),
            port: Some("5433".into()),
            user: None,
            database: Some("db2".into()),
        })
        .unwrap();
        assert_eq!(p.target(), "u@other:5433/db2");
        assert_eq!(p.password.as_deref(), Some("pw"));
    }
}
