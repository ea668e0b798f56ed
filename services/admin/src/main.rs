//! `admin-service`: the admin service as its own process.
use admin_service::{AdminApp, AdminConfig};
use astro_platform::{
    config::Config,
    grpc::{Peer, Plane},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("admin-service");
    let config = AdminConfig::from_env_and_args("admin-service", "The admin service as its own process")?;
    let plane = Plane::network(&config.process)?;
    let revocations = astro_security::revocation::from_settings(&config.redis)?;
    let app = AdminApp::build(&config, &plane, revocations).await?;
    let listener = plane.listen(Peer::Admin, &config.process).await?;
    let shutdown = astro_platform::shutdown::on_signal();
    astro_platform::metrics::spawn_endpoint(&config.process, Peer::Admin, shutdown.clone()).await;
    app.serve(listener, shutdown).await?;
    Ok(())
}
