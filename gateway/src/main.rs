//! `gateway`: the HTTP gateway as its own process.
use astro_common::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("gateway");
    let settings = Settings::from_env()?;
    let plane = astro_common::grpc::Plane::network(&settings)?;
    let revocations = astro_common::revocation::from_settings(&settings)?;
    let app = gateway::GatewayApp::build(&settings, &plane, revocations).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr).await?;
    tracing::info!(addr = %settings.http_addr, "gateway listening");
    app.serve(listener, astro_common::shutdown::on_signal()).await?;
    Ok(())
}
