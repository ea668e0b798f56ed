//! `auth-service`: the auth service as its own process.
use astro_common::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    astro_common::telemetry::init();
    let settings = Settings::from_env()?;
    let revocations = astro_common::revocation::from_settings(settings.redis_url.as_deref())?;
    let app = auth_service::AuthApp::build(&settings, revocations).await?;
    let listener = tokio::net::TcpListener::bind(settings.grpc_addr).await?;
    tracing::info!(addr = %settings.grpc_addr, "auth service listening");
    app.serve(listener, astro_common::shutdown::on_signal()).await?;
    Ok(())
}
