//! The one egress policy every outbound path uses (HTTP requests, redirects,
//! TCP connects).
//!
//! Grammar of an HTTP origin pattern: `scheme://host[:port]`, where `host` may
//! be `*` or start with `*.` to match any subdomain (not the bare domain), and
//! the port defaults to the scheme's (80, 443) or is `*` for any. A TCP endpoint pattern is
//! `host:port`, where `host` may be `*` or `*.domain` and `port` may be `*`.
//!
//! An empty list allows nothing. A destination is allowed only when it matches
//! a pattern the driver's manifest requests **and** one the slot grants.
//!
//! Addresses: a resolved address that is loopback, private, link-local,
//! unique-local, unspecified or a cloud metadata endpoint is denied unless a
//! granted pattern names it literally (`http://127.0.0.1:8080`) or names the
//! host `localhost`; wildcards never open them.

use std::net::IpAddr;

/// A parsed `scheme://host[:port]` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    host: HostPattern,
    /// `None` for `:*`.
    port: Option<u16>,
}

/// A parsed `host:port` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointPattern {
    host: HostPattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    Subdomains(String),
}

impl HostPattern {
    fn parse(host: &str) -> Result<Self, String> {
        let host = host.trim().to_ascii_lowercase();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host == "*" {
            return Ok(HostPattern::Any);
        }
        if let Some(domain) = host.strip_prefix("*.") {
            if domain.is_empty() || domain.contains('*') {
                return Err(format!(
                    "'{host}': a wildcard is only allowed as a leading '*.'"
                ));
            }
            return Ok(HostPattern::Subdomains(domain.to_string()));
        }
        if host.is_empty() || host.contains('*') || host.contains('/') {
            return Err(format!("'{host}' is not a host name or address"));
        }
        Ok(HostPattern::Exact(host))
    }

    fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomains(d) => {
                host.len() > d.len() + 1
                    && host.ends_with(d.as_str())
                    && host[..host.len() - d.len()].ends_with('.')
            }
        }
    }

    /// Whether the pattern names this special address or `localhost` exactly.
    fn names_literally(&self, ip: IpAddr) -> bool {
        match self {
            HostPattern::Exact(h) => h == "localhost" || h.parse::<IpAddr>().is_ok_and(|p| p == ip),
            _ => false,
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl OriginPattern {
    /// Parses `https://api.vercel.com`, `https://*.neon.tech`, `http://127.0.0.1:9000`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("'{text}' is not an origin: write scheme://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default = default_port(&scheme)
            .ok_or_else(|| format!("'{text}': only http and https origins can be granted"))?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') || rest.contains('?') || rest.contains('@') {
            return Err(format!(
                "'{text}' is not an origin: no path, query or user part"
            ));
        }
        let (host, port) = split_host_port(rest)?;
        Ok(OriginPattern {
            scheme,
            host: HostPattern::parse(host)?,
            port: match port {
                Some("*") => None,
                Some(p) => Some(p.parse().map_err(|_| format!("'{text}': bad port '{p}'"))?),
                None => Some(default),
            },
        })
    }

    /// Whether a request to `scheme://host:port` matches.
    pub fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
            && self.port.is_none_or(|p| p == port)
            && self.host.matches(host)
    }
}

impl EndpointPattern {
    /// Parses `db.example.com:5432`, `127.0.0.1:*`, `*.internal:6432`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (host, port) = split_host_port(text.trim())?;
        let port = match port {
            None => {
                return Err(format!(
                    "'{text}' has no port: write host:port (port may be *)"
                ));
            }
            Some("*") => None,
            Some(p) => Some(p.parse().map_err(|_| format!("'{text}': bad port '{p}'"))?),
        };
        Ok(EndpointPattern {
            host: HostPattern::parse(host)?,
            port,
        })
    }

    /// Whether a connection to `host:port` matches.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.port.is_none_or(|p| p == port) && self.host.matches(host)
    }
}

/// `host[:port]`, with IPv6 literals in brackets.
fn split_host_port(text: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{text}': unclosed '['"))?;
        return Ok((host, after.strip_prefix(':')));
    }
    Ok(match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (text, None),
    })
}

/// Addresses a wildcard never reaches: where a DNS answer pointing at them
/// would let a driver into the host's own network.
pub fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10 CGNAT
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_special(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v6 == "fd00:ec2::254".parse::<std::net::Ipv6Addr>().expect("literal") // AWS metadata
        }
    }
}

/// Requested ∩ granted HTTP origins of one slot.
#[derive(Debug, Clone, Default)]
pub struct HttpAllowlist {
    requested: Vec<OriginPattern>,
    granted: Vec<OriginPattern>,
}

impl HttpAllowlist {
    /// From the manifest's `capabilities.http` and the slot's `grants.http`.
    pub fn new(requested: &[String], granted: &[String]) -> Result<Self, String> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|t| OriginPattern::parse(t))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(HttpAllowlist {
            requested: parse(requested)
                .map_err(|e| format!("the driver's manifest asks for a bad origin: {e}"))?,
            granted: parse(granted)?,
        })
    }

    /// Whether nothing can pass.
    pub fn is_empty(&self) -> bool {
        self.requested.is_empty() || self.granted.is_empty()
    }

    /// `Ok` when `scheme://host:port` is both requested and granted; the reason otherwise.
    pub fn check(&self, scheme: &str, host: &str, port: u16) -> Result<(), Denial> {
        if !self.requested.iter().any(|p| p.matches(scheme, host, port)) {
            return Err(Denial::NotRequested);
        }
        if !self.granted.iter().any(|p| p.matches(scheme, host, port)) {
            return Err(Denial::NotGranted);
        }
        Ok(())
    }

    /// `Ok` when `ip` (what `host` resolved to) may be reached.
    pub fn check_address(
        &self,
        scheme: &str,
        host: &str,
        port: u16,
        ip: IpAddr,
    ) -> Result<(), Denial> {
        if !is_special(ip) {
            return Ok(());
        }
        let literal = self
            .granted
            .iter()
            .any(|p| p.matches(scheme, host, port) && p.host.names_literally(ip));
        if literal {
            Ok(())
        } else {
            Err(Denial::SpecialAddress(ip))
        }
    }
}

/// Requested ∩ granted TCP endpoints of one slot.
#[derive(Debug, Clone, Default)]
pub struct TcpAllowlist {
    requested: Vec<EndpointPattern>,
    granted: Vec<EndpointPattern>,
}

impl TcpAllowlist {
    /// From the manifest's `capabilities.tcp` and the slot's `grants.tcp`.
    pub fn new(requested: &[String], granted: &[String]) -> Result<Self, String> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|t| EndpointPattern::parse(t))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(TcpAllowlist {
            requested: parse(requested)
                .map_err(|e| format!("the driver's manifest asks for a bad endpoint: {e}"))?,
            granted: parse(granted)?,
        })
    }

    /// Whether nothing can pass.
    pub fn is_empty(&self) -> bool {
        self.requested.is_empty() || self.granted.is_empty()
    }

    /// `Ok` when a connection to `ip:port` is both requested and granted.
    /// WASI sockets see addresses, not names, so patterns match the address
    /// text; special addresses need a literal grant.
    pub fn check(&self, ip: IpAddr, port: u16) -> Result<(), Denial> {
        let host = ip.to_string();
        if !self.requested.iter().any(|p| p.matches(&host, port)) {
            return Err(Denial::NotRequested);
        }
        let granted: Vec<&EndpointPattern> = self
            .granted
            .iter()
            .filter(|p| p.matches(&host, port))
            .collect();
        if granted.is_empty() {
            return Err(Denial::NotGranted);
        }
        if is_special(ip) && !granted.iter().any(|p| p.host.names_literally(ip)) {
            return Err(Denial::SpecialAddress(ip));
        }
        Ok(())
    }
}

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The driver's manifest does not ask for it.
    NotRequested,
    /// The slot does not grant it.
    NotGranted,
    /// It resolved to a loopback/private/link-local/metadata address no grant names.
    SpecialAddress(IpAddr),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(req: &[&str], granted: &[&str]) -> HttpAllowlist {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        HttpAllowlist::new(&s(req), &s(granted)).unwrap()
    }

    #[test]
    fn origins_parse_with_default_ports_and_reject_paths() {
        let p = OriginPattern::parse("https://API.vercel.com").unwrap();
        assert!(p.matches("https", "api.vercel.com", 443));
        assert!(!p.matches("https", "api.vercel.com", 8443));
        assert!(!p.matches("http", "api.vercel.com", 443));
        assert!(OriginPattern::parse("https://x.com/path").is_err());
        assert!(OriginPattern::parse("ftp://x.com").is_err());
        assert!(OriginPattern::parse("x.com").is_err());
        assert!(OriginPattern::parse("https://a.*.com").is_err());
        assert!(OriginPattern::parse("https://user@x.com").is_err());
        let any_port = OriginPattern::parse("http://127.0.0.1:*").unwrap();
        assert!(any_port.matches("http", "127.0.0.1", 9000));
        assert!(!any_port.matches("https", "127.0.0.1", 9000));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let p = OriginPattern::parse("https://*.neon.tech").unwrap();
        assert!(p.matches("https", "console.neon.tech", 443));
        assert!(p.matches("https", "a.b.neon.tech", 443));
        assert!(!p.matches("https", "neon.tech", 443));
        assert!(!p.matches("https", "evilneon.tech", 443));
        assert!(!p.matches("https", "neon.tech.evil.com", 443));
    }

    #[test]
    fn both_requested_and_granted_are_needed() {
        let l = list(&["https://*.neon.tech"], &["https://console.neon.tech"]);
        assert_eq!(l.check("https", "console.neon.tech", 443), Ok(()));
        assert_eq!(
            l.check("https", "other.neon.tech", 443),
            Err(Denial::NotGranted)
        );
        assert_eq!(
            l.check("https", "example.com", 443),
            Err(Denial::NotRequested)
        );
        assert!(list(&[], &["https://x.com"]).is_empty());
        assert!(list(&["https://x.com"], &[]).is_empty());
    }

    #[test]
    fn special_addresses_need_a_literal_grant() {
        let l = list(
            &["https://*.example.com", "http://127.0.0.1:8080"],
            &["https://*.example.com", "http://127.0.0.1:8080"],
        );
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            l.check_address("https", "api.example.com", 443, lo),
            Err(Denial::SpecialAddress(lo))
        );
        assert_eq!(l.check_address("http", "127.0.0.1", 8080, lo), Ok(()));
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        assert_eq!(
            l.check_address("https", "api.example.com", 443, public),
            Ok(())
        );
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "172.16.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
        ] {
            assert!(is_special(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn tcp_endpoints() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let t = TcpAllowlist::new(&s(&["*:5432"]), &s(&["127.0.0.1:5432"])).unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(t.check(lo, 5432), Ok(()));
        assert_eq!(t.check(lo, 5433), Err(Denial::NotRequested));
        let t = TcpAllowlist::new(&s(&["*:*"]), &s(&["*:5432"])).unwrap();
        assert_eq!(t.check(lo, 5432), Err(Denial::SpecialAddress(lo)));
        assert!(EndpointPattern::parse("db.example.com").is_err());
        assert!(
            EndpointPattern::parse("[::1]:5432")
                .unwrap()
                .matches("::1", 5432)
        );
    }
}
