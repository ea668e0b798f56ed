//! The admin service: admin use cases and the audit log. For now it serves gRPC health only.
use astro_common::Settings;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Serve(#[from] tonic::transport::Error),
}

pub struct AdminApp {}

impl AdminApp {
    pub async fn build(_settings: &Settings) -> Result<Self, AdminError> {
        Ok(Self {})
    }

    /// Serves gRPC until `shutdown` is cancelled.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), AdminError> {
        let (router, _health) =
            astro_common::grpc::server_with_health("admin.v1.AdminService").await;
        Ok(astro_common::grpc::serve(router, listener, shutdown).await?)
    }
}
