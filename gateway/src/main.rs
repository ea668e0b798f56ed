//! `gateway`: the HTTP gateway as its own process.
use astro_common::{Settings, revocation::MemoryRevocations};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    astro_common::telemetry::init();
    let settings = Settings::from_env()?;
    let app = gateway::GatewayApp::build(&settings, Arc::new(MemoryRevocations::default())).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr).await?;
    tracing::info!(addr = %settings.http_addr, "gateway listening");
    app.serve(listener, astro_common::shutdown::on_signal())
        .await?;
    Ok(())
}
