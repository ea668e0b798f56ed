//! The HTTP gateway: serves the JSON REST API of the contract, checks access tokens and
//! revocation at the edge, and calls the services over gRPC.
mod client;
mod config;
mod cookies;
pub mod error;
mod extract;
mod ip_net;
mod json;
mod limits;
mod models;
pub mod openapi;
mod routes;
mod serve;
mod state;
mod wording;

use astro_security::revocation::RevocationStore;
use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::GatewayConfig;
pub use state::StateError;

/// How long a client may take to send a request's headers (or stay idle between requests)
/// before its connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A built gateway, ready to serve.
pub struct GatewayApp {
    router: axum::Router,
    header_read_timeout: Duration,
}

impl GatewayApp {
    pub async fn build(
        config: &GatewayConfig,
        plane: &astro_platform::grpc::Plane,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StateError> {
        astro_platform::metrics::handle();
        let state = state::AppState::new(config, plane, revocations)?;
        Ok(Self {
            router: routes::router(state, &config.http.cors_origins),
            header_read_timeout: HEADER_READ_TIMEOUT,
        })
    }

    /// Replaces [`HEADER_READ_TIMEOUT`] (tests use a short one).
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Serves HTTP on `listener` until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
        serve::serve(self.router, listener, self.header_read_timeout, shutdown).await
    }
}
