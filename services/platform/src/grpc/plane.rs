//! The plane the platform's processes reach one another on. In one process the services are
//! wired together in memory: the same tonic clients call straight into the same server stacks
//! (see `in_process`), so nothing but the gateway listens on a socket. Separate processes speak over TCP,
//! with mutual TLS whenever certificates are configured (always, in production).
use super::{Peer, access::AccessTable, client, in_process, tls::TlsMaterial};
use crate::config::{ConfigError, ProcessSettings, ServiceUrls};
use std::{net::SocketAddr, sync::Arc};
use tokio::{io::DuplexStream, net::TcpListener};
use tonic::transport::ServerTlsConfig;

/// Pending TCP connections of a service process's listener.
const LISTEN_BACKLOG: u32 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PlaneError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Tls(#[from] super::TlsError),
    #[error(transparent)]
    Url(#[from] super::BadServiceUrl),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the in-process plane has no TCP listeners")]
    InProcess,
}

/// How this process reaches the services and how its own service is reached. Cheap to clone.
#[derive(Clone)]
pub struct Plane(Kind);

#[derive(Clone)]
enum Kind {
    /// One process: each service's entrance, by service.
    InProcess(Arc<in_process::Registry>),
    /// Separate processes over TCP, with this process's TLS material when configured.
    Network {
        urls: ServiceUrls,
        tls: Option<TlsMaterial>,
    },
}

impl Plane {
    /// The plane of the one-process binary: no sockets, only trusted in-process callers.
    pub fn in_process() -> Self {
        Plane(Kind::InProcess(Arc::default()))
    }

    /// The plane of a separate process: the services at `process.services`, with mutual TLS
    /// from `GRPC_TLS_*`. Production refuses to run the plane without TLS.
    pub fn network(process: &ProcessSettings) -> Result<Self, PlaneError> {
        let tls = match &process.grpc_tls {
            Some(files) => Some(TlsMaterial::load(files)?),
            None if process.is_production() => {
                return Err(ConfigError::Insecure(
                    "GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA must be set: the gRPC plane needs mutual TLS"
                        .into(),
                )
                .into());
            }
            None => {
                tracing::warn!(
                    "GRPC_TLS_* unset: the gRPC plane runs in plaintext with no caller checks (development only)"
                );
                None
            }
        };
        Ok(Plane(Kind::Network {
            urls: process.services.clone(),
            tls,
        }))
    }

    /// A lazily connecting, reconnecting channel to `service`.
    pub fn channel(&self, service: Peer) -> Result<client::GrpcChannel, PlaneError> {
        match &self.0 {
            Kind::InProcess(registry) => Ok(client::in_process_channel(service, registry)),
            Kind::Network { urls, tls } => {
                let url = match service {
                    Peer::Auth => &urls.auth,
                    Peer::User => &urls.user,
                    Peer::Admin => &urls.admin,
                    Peer::Notification => &urls.notification,
                    Peer::Gateway => unreachable!("nothing calls the gateway over gRPC"),
                };
                Ok(client::network_channel(
                    url,
                    tls.as_ref().map(|tls| tls.client(service.name())),
                )?)
            }
        }
    }

    /// Where `service` accepts calls: its in-process entrance (taken over from a previous
    /// instance, so a restarted service takes its place; callers wait until it serves), or a
    /// TCP listener on `GRPC_ADDR` or the service's default address.
    pub async fn listen(&self, service: Peer, process: &ProcessSettings) -> Result<Listener, PlaneError> {
        match &self.0 {
            Kind::InProcess(registry) => Ok(Listener(ListenerKind::InProcess(registry.listen(service)))),
            Kind::Network { .. } => {
                let addr = process.grpc_addr.unwrap_or_else(|| service.default_addr());
                self.listen_at(addr, &format!("{service} service")).await
            }
        }
    }

    /// A TCP listener on `addr` for `what` (named in the log), with this network plane's TLS:
    /// for a server besides a service's own, such as the one-process binary's consumer API.
    pub async fn listen_at(&self, addr: SocketAddr, what: &str) -> Result<Listener, PlaneError> {
        let Kind::Network { tls, .. } = &self.0 else {
            return Err(PlaneError::InProcess);
        };
        let listener = bind(addr).map_err(|source| PlaneError::Bind { addr, source })?;
        tracing::info!(addr = %listener.local_addr().unwrap_or(addr), tls = tls.is_some(), "{what} listening");
        Ok(Listener(ListenerKind::Tcp {
            listener,
            tls: tls.as_ref().map(TlsMaterial::server),
        }))
    }

    /// Whether calls carry a verified caller identity (mutual TLS).
    pub fn is_tls(&self) -> bool {
        matches!(&self.0, Kind::Network { tls: Some(_), .. })
    }
}

/// A listener on `addr` that a restarted service can take over at once, although connections
/// of its previous run may linger in TIME-WAIT (SO_REUSEADDR, as servers do).
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Where a service accepts its callers; see [`Plane::listen`].
pub struct Listener(pub(crate) ListenerKind);

pub(crate) enum ListenerKind {
    InProcess(in_process::Slot),
    Tcp {
        listener: TcpListener,
        tls: Option<ServerTlsConfig>,
    },
}

impl Listener {
    /// The next connection of an in-process listener, raw (`None` for a TCP listener): for
    /// stand-ins that speak HTTP/2 themselves, such as a test's misbehaving service. Callers
    /// reach such a listener over in-memory pipes instead of calling in place.
    pub async fn accept_in_process(&mut self) -> Option<DuplexStream> {
        match &mut self.0 {
            ListenerKind::InProcess(slot) => slot.accept().await,
            ListenerKind::Tcp { .. } => None,
        }
    }

    /// The bound TCP address (none in process).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.0 {
            ListenerKind::Tcp { listener, .. } => listener.local_addr().ok(),
            ListenerKind::InProcess(_) => None,
        }
    }

    /// The allow-lists to enforce on this listener: only mutual-TLS connections name their
    /// caller; in process every caller is the platform itself, and a plaintext development
    /// plane has no identities to check.
    pub(crate) fn access(&self, tables: &'static [&'static AccessTable]) -> super::access::AccessLayer {
        let enforced = matches!(&self.0, ListenerKind::Tcp { tls: Some(_), .. });
        super::access::AccessLayer::new(enforced.then_some(tables))
    }

    /// The server TLS configuration of a mutual-TLS listener.
    pub(crate) fn tls(&self) -> Option<&ServerTlsConfig> {
        match &self.0 {
            ListenerKind::Tcp { tls, .. } => tls.as_ref(),
            ListenerKind::InProcess(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Group;

    fn settings(environment: &str, tls: Option<&str>) -> ProcessSettings {
        ProcessSettings::read(&|name: &str| match name {
            "ENVIRONMENT" => Some(environment.to_owned()),
            "GRPC_TLS_CERT" | "GRPC_TLS_KEY" | "GRPC_TLS_CA" => tls.map(|dir| format!("{dir}/{name}.pem")),
            _ => None,
        })
        .expect("valid settings")
    }

    #[test]
    fn production_refuses_a_plane_without_tls() {
        let refused = Plane::network(&settings("production", None));
        assert!(
            matches!(refused, Err(PlaneError::Config(ConfigError::Insecure(_)))),
            "production without GRPC_TLS_*"
        );
        assert!(Plane::network(&settings("development", None)).is_ok());
    }

    #[test]
    fn unreadable_certificates_are_a_start_error() {
        let missing = Plane::network(&settings("production", Some("/nonexistent")));
        assert!(matches!(missing, Err(PlaneError::Tls(_))), "missing PEM files");
    }

    #[test]
    fn some_but_not_all_tls_variables_is_a_configuration_error() {
        let partial =
            ProcessSettings::read(&|name: &str| (name == "GRPC_TLS_CERT").then(|| "cert.pem".to_owned()));
        assert!(partial.is_err());
    }
}
