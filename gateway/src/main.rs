//! `gateway`: the HTTP gateway as its own process.
use astro_common::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("gateway");
    let settings = Settings::from_env()?;
    let app =
        gateway::GatewayApp::build(&settings, astro_common::revocation::from_settings(&settings)?).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr).await?;
    tracing::info!(addr = %settings.http_addr, "gateway listening");
    app.serve(listener, astro_common::shutdown::on_signal()).await?;
    Ok(())
}
