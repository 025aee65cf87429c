//! Outbound TCP (`wasi:sockets`) for database wire protocols: a connection is
//! allowed only to an endpoint the driver asks for and the slot grants
//! (`net_policy` decides); listening, UDP and everything else are denied.

use super::net_policy::{Denial, TcpAllowlist, is_special};
use std::net::SocketAddr;
use std::sync::Arc;
use wasmtime_wasi::sockets::SocketAddrUse;

/// The slot's TCP policy.
#[derive(Debug, Clone, Default)]
pub struct TcpPolicy {
    slot: String,
    allowlist: TcpAllowlist,
    /// Granted host names resolved when the slot was bound: WASI sockets see
    /// addresses, so a grant of `db.example.com:5432` is matched by address.
    /// The flag says the name was `localhost`, which may reach loopback.
    resolved: Vec<(SocketAddr, bool)>,
}

impl TcpPolicy {
    /// From the manifest's request and the slot's grant. Granted host names
    /// are resolved now; one that does not resolve is reported.
    pub async fn new(slot: &str, requested: &[String], granted: &[String]) -> Result<Self, String> {
        let allowlist = TcpAllowlist::new(requested, granted)?;
        let mut resolved = Vec::new();
        for grant in granted {
            let Some((host, port)) = grant.rsplit_once(':') else {
                continue;
            };
            let (Ok(port), false) = (
                port.parse::<u16>(),
                host.contains('*') || host.parse::<std::net::IpAddr>().is_ok(),
            ) else {
                continue;
            };
            match tokio::net::lookup_host((host, port)).await {
                Ok(addrs) => {
                    resolved.extend(addrs.map(|a| (a, host.eq_ignore_ascii_case("localhost"))))
                }
                Err(e) => return Err(format!("the TCP grant '{grant}' does not resolve: {e}")),
            }
        }
        Ok(TcpPolicy {
            slot: slot.to_string(),
            allowlist,
            resolved,
        })
    }

    /// Whether the driver may use `addr` this way; denials are logged with
    /// the grant that would allow them.
    pub fn allows(&self, addr: SocketAddr, use_: SocketAddrUse) -> bool {
        let verdict = match use_ {
            // The implicit bind before a connect uses the wildcard address.
            SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
            SocketAddrUse::TcpConnect => match self.allowlist.check(addr.ip(), addr.port()) {
                Ok(()) => true,
                // Not granted by address: maybe by a host name resolved at bind
                // time. A name other than `localhost` never opens a special
                // address (no DNS-rebinding into the host's network).
                Err(Denial::NotGranted) => self
                    .resolved
                    .iter()
                    .any(|(a, localhost)| *a == addr && (*localhost || !is_special(addr.ip()))),
                Err(_) => false,
            },
            _ => false,
        };
        if !verdict {
            tracing::warn!(
                target: "paddock::capability",
                slot = %self.slot,
                "TCP {use_:?} to {addr} denied: not both asked for by the driver and granted to the slot (grant it with [slots.{}.grants] tcp = [\"{addr}\"])",
                self.slot
            );
        }
        verdict
    }
}

/// Installs `policy` on a WASI context being built.
pub fn apply(builder: &mut wasmtime_wasi::WasiCtxBuilder, policy: &Arc<TcpPolicy>) {
    if policy.allowlist.is_empty() {
        return;
    }
    let policy = policy.clone();
    builder
        .allow_tcp(true)
        .allow_ip_name_lookup(true)
        .socket_addr_check(move |addr, use_| {
            let ok = policy.allows(addr, use_);
            Box::pin(async move { ok })
        });
}
