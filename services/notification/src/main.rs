//! `notification-service`: the notification gRPC service as its own process.
use astro_common::{
    Settings,
    grpc::{Peer, Plane},
};
use notification_service::NotificationApp;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("notification-service");
    let settings = Settings::from_env()?;
    let plane = Plane::network(&settings)?;
    let listener = plane.listen(Peer::Notification, &settings).await?;
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(&settings, Peer::Notification, shutdown.clone()).await;
    let app = NotificationApp::build(&settings).await?;
    app.serve(listener, shutdown).await?;
    tracing::info!("notification service stopped");
    Ok(())
}
