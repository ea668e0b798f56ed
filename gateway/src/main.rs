//! `gateway`: the HTTP gateway as its own process.
use astro_platform::{config::Config, grpc::Plane};
use gateway::{GatewayApp, GatewayConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("gateway");
    let config = GatewayConfig::from_env_and_args("gateway", "The HTTP gateway as its own process")?;
    let plane = Plane::network(&config.process)?;
    let revocations = astro_security::revocation::from_settings(&config.redis)?;
    let app = GatewayApp::build(&config, &plane, revocations).await?;
    let listener = tokio::net::TcpListener::bind(config.http.addr).await?;
    tracing::info!(addr = %config.http.addr, "gateway listening");
    app.serve(listener, astro_platform::shutdown::on_signal()).await?;
    Ok(())
}
