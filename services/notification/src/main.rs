//! `notification-service`: the notification gRPC service as its own process.
use anyhow::Context;
use astro_common::Settings;
use notification_service::NotificationApp;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("notification-service");
    let settings = Settings::from_env()?;
    let listener = TcpListener::bind(settings.grpc_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.grpc_addr))?;
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(settings.metrics_addr, shutdown.clone());
    let app = NotificationApp::build(&settings).await?;
    tracing::info!(addr = %listener.local_addr()?, "notification service listening");
    app.serve(listener, shutdown).await?;
    tracing::info!("notification service stopped");
    Ok(())
}
