//! The platform's processes by their name on the gRPC plane.
use std::net::{Ipv4Addr, SocketAddr};

/// A platform process. Its [`Peer::name`] is the DNS name in its certificate (what a server
/// checks a caller against) and the name a client verifies the server's certificate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    Gateway,
    Auth,
    User,
    Admin,
    Notification,
}

impl Peer {
    /// Every platform process.
    pub const ALL: [Peer; 5] = [
        Peer::Gateway,
        Peer::Auth,
        Peer::User,
        Peer::Admin,
        Peer::Notification,
    ];

    /// The four processes that serve gRPC.
    pub const SERVICES: [Peer; 4] = [Peer::Auth, Peer::User, Peer::Admin, Peer::Notification];

    /// The certificate name.
    pub const fn name(self) -> &'static str {
        match self {
            Peer::Gateway => "gateway",
            Peer::Auth => "auth",
            Peer::User => "user",
            Peer::Admin => "admin",
            Peer::Notification => "notification",
        }
    }

    /// Where a service process listens unless `GRPC_ADDR` says otherwise: loopback, so a
    /// plaintext development plane is not reachable from the network by accident, and a port
    /// below Linux's ephemeral range (32768-60999), so a client's reconnect attempts cannot
    /// take the port first (a TCP self-connect) while the service restarts.
    pub const fn default_addr(self) -> SocketAddr {
        let port = match self {
            Peer::Gateway => 8000,
            Peer::Auth => 7051,
            Peer::User => 7052,
            Peer::Admin => 7053,
            Peer::Notification => 7054,
        };
        SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    }

    /// Where a service process serves `GET /metrics` unless `METRICS_ADDR` says otherwise:
    /// loopback, for the reason [`Peer::default_addr`] gives, and a port of its own, so the
    /// processes of one host (systemd units, the multi-process test) do not clash. The
    /// gateway serves `/metrics` on its HTTP port.
    pub const fn default_metrics_addr(self) -> SocketAddr {
        let port = match self {
            Peer::Gateway => 8000,
            Peer::Auth => 9101,
            Peer::User => 9102,
            Peer::Admin => 9103,
            Peer::Notification => 9104,
        };
        SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Peer;
    use std::collections::BTreeSet;

    /// Five processes on one host: every default listener is loopback, below the ephemeral
    /// port range, and no two share a port.
    #[test]
    fn default_listeners_never_clash() {
        let mut ports = BTreeSet::new();
        for peer in Peer::ALL {
            let mut addrs = vec![peer.default_addr()];
            if peer != Peer::Gateway {
                addrs.push(peer.default_metrics_addr());
            }
            for addr in addrs {
                assert!(addr.ip().is_loopback(), "{peer}: {addr}");
                assert!(addr.port() < 32768, "{peer}: {addr}");
                assert!(ports.insert(addr.port()), "{peer}: {addr} is taken twice");
            }
        }
    }
}
