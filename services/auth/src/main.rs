//! `auth-service`: the auth service as its own process.
use astro_common::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("auth-service");
    let settings = Settings::from_env()?;
    let revocations = astro_common::revocation::from_settings(&settings)?;
    let app = auth_service::AuthApp::build(&settings, revocations).await?;
    let listener = tokio::net::TcpListener::bind(settings.grpc_addr).await?;
    tracing::info!(addr = %settings.grpc_addr, "auth service listening");
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(settings.metrics_addr, shutdown.clone());
    app.serve(listener, shutdown).await?;
    Ok(())
}
