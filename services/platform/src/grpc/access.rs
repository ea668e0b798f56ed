//! Per-RPC caller allow-lists. Each service declares, in one table next to its gRPC code, who
//! may call each of its methods; a server on the mutual-TLS plane refuses everyone else before
//! the call reaches the service. The caller is whoever the client certificate names (its DNS
//! name), never anything the request says about itself.
use super::Peer;
use http::{Request, Response};
use rustls_pki_types::{CertificateDer, ServerName};
use std::task::{Context, Poll};
use tonic::{
    Status,
    body::Body,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};

/// Who may call an RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A platform process, by the name in its certificate.
    Platform(Peer),
    /// Any caller whose certificate chains to the plane's CA (health checks, reflection).
    AnyCertified,
}

/// The callers allowed one method (`method` without its service prefix, as in the proto).
#[derive(Debug)]
pub struct AccessRule {
    pub method: &'static str,
    pub callers: &'static [Caller],
}

/// The allow-list of one gRPC service (`service` is its full name, such as `user.v1.UserService`).
/// A method without a rule is refused to everyone.
#[derive(Debug)]
pub struct AccessTable {
    pub service: &'static str,
    pub rules: &'static [AccessRule],
}

impl AccessTable {
    /// The callers allowed `method`, if it has a rule.
    pub fn callers(&self, method: &str) -> Option<&'static [Caller]> {
        self.rules
            .iter()
            .find(|rule| rule.method == method)
            .map(|rule| rule.callers)
    }
}

/// Health and reflection, served by every process to any certified caller.
static INFRASTRUCTURE: [AccessTable; 3] = [
    AccessTable {
        service: "grpc.health.v1.Health",
        rules: &[
            AccessRule {
                method: "Check",
                callers: &[Caller::AnyCertified],
            },
            AccessRule {
                method: "Watch",
                callers: &[Caller::AnyCertified],
            },
        ],
    },
    AccessTable {
        service: "grpc.reflection.v1.ServerReflection",
        rules: &[AccessRule {
            method: "ServerReflectionInfo",
            callers: &[Caller::AnyCertified],
        }],
    },
    AccessTable {
        service: "grpc.reflection.v1alpha.ServerReflection",
        rules: &[AccessRule {
            method: "ServerReflectionInfo",
            callers: &[Caller::AnyCertified],
        }],
    },
];

/// Why a call was refused, as the status the caller gets.
fn check(
    tables: &[&AccessTable],
    path: &str,
    certificate: Option<&CertificateDer<'_>>,
) -> Result<(), Status> {
    let certificate =
        certificate.ok_or_else(|| Status::unauthenticated("a client certificate is required"))?;
    let denied = || Status::permission_denied(format!("this caller may not call {path}"));
    let (service, method) = path
        .strip_prefix('/')
        .and_then(|p| p.rsplit_once('/'))
        .ok_or_else(denied)?;
    let callers = tables
        .iter()
        .copied()
        .chain(INFRASTRUCTURE.iter())
        .find(|table| table.service == service)
        .and_then(|table| table.callers(method))
        .ok_or_else(denied)?;
    if callers.contains(&Caller::AnyCertified) {
        return Ok(());
    }
    let end_entity = webpki::EndEntityCert::try_from(certificate).map_err(|_| denied())?;
    let named = |peer: Peer| {
        ServerName::try_from(peer.name())
            .map(|name| end_entity.verify_is_valid_for_subject_name(&name).is_ok())
            .unwrap_or(false)
    };
    let allowed = callers.iter().any(|caller| match caller {
        Caller::Platform(peer) => named(*peer),
        Caller::AnyCertified => true,
    });
    if allowed { Ok(()) } else { Err(denied()) }
}

/// Enforces the allow-lists of the services a server hosts, on connections that came through
/// the mutual-TLS handshake (`None`: a server whose callers carry no identity to check).
#[derive(Clone, Copy, Debug)]
pub struct AccessLayer {
    tables: Option<&'static [&'static AccessTable]>,
}

impl AccessLayer {
    pub(crate) fn new(tables: Option<&'static [&'static AccessTable]>) -> Self {
        AccessLayer { tables }
    }
}

impl<S> tower::Layer<S> for AccessLayer {
    type Service = AccessControl<S>;

    fn layer(&self, inner: S) -> AccessControl<S> {
        AccessControl {
            inner,
            tables: self.tables,
        }
    }
}

/// See [`AccessLayer`].
#[derive(Clone, Debug)]
pub struct AccessControl<S> {
    inner: S,
    tables: Option<&'static [&'static AccessTable]>,
}

impl<S, B> tower::Service<Request<B>> for AccessControl<S>
where
    S: tower::Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let Some(tables) = self.tables else {
            return Box::pin(self.inner.call(request));
        };
        let certificates = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs);
        match check(
            tables,
            request.uri().path(),
            certificates.as_deref().and_then(|c| c.first()),
        ) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => {
                tracing::warn!(path = %request.uri().path(), code = ?status.code(), "gRPC call refused by the allow-list");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}
