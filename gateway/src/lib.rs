//! The HTTP gateway: serves the JSON REST API of the contract, checks access tokens and
//! revocation at the edge, and calls the services over gRPC.
mod client;
pub mod error;
mod extract;
mod json;
mod limits;
mod models;
pub mod openapi;
mod routes;
mod state;

use astro_common::{Settings, revocation::RevocationStore};
use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::StateError;

/// A built gateway, ready to serve.
pub struct GatewayApp {
    router: axum::Router,
}

impl GatewayApp {
    pub async fn build(
        settings: &Settings,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StateError> {
        astro_common::metrics::handle();
        let state = state::AppState::new(settings, revocations)?;
        Ok(Self {
            router: routes::router(state, &settings.cors_origins),
        })
    }

    /// Serves HTTP on `listener` until `shutdown` is cancelled, then drains in-flight requests.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
        let app = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    }
}
