//! `notification-service`: the notification gRPC service as its own process.
use astro_platform::{
    config::Config,
    grpc::{Peer, Plane},
};
use notification_service::{NotificationApp, NotificationConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("notification-service");
    let config = NotificationConfig::from_env_and_args(
        "notification-service",
        "The notification service as its own process",
    )?;
    let plane = Plane::network(&config.process)?;
    let listener = plane.listen(Peer::Notification, &config.process).await?;
    let shutdown = astro_platform::shutdown::on_signal();
    astro_platform::metrics::spawn_endpoint(&config.process, Peer::Notification, shutdown.clone()).await;
    let app = NotificationApp::build(&config).await?;
    app.serve(listener, shutdown).await?;
    tracing::info!("notification service stopped");
    Ok(())
}
