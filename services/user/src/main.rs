//! `user-service`: the user service alone, for one-process-per-service deployments.
use anyhow::Context;
use astro_common::Settings;
use user_service::UserApp;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("user-service");
    let settings = Settings::from_env().context("reading configuration")?;
    let listener = tokio::net::TcpListener::bind(settings.grpc_addr)
        .await
        .with_context(|| format!("binding {}", settings.grpc_addr))?;
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(settings.metrics_addr, shutdown.clone());
    let app = UserApp::build(&settings)
        .await
        .context("starting the user service")?;
    tracing::info!(addr = %settings.grpc_addr, "user service listening");
    app.serve(listener, shutdown).await.context("serving")?;
    Ok(())
}
