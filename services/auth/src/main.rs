//! `auth-service`: the auth service as its own process.
use astro_platform::{
    config::Config,
    grpc::{Peer, Plane},
};
use auth_service::{AuthApp, AuthConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("auth-service");
    let config = AuthConfig::from_env_and_args("auth-service", "The auth service as its own process")?;
    let plane = Plane::network(&config.process)?;
    let revocations = astro_security::revocation::from_settings(&config.redis)?;
    let app = AuthApp::build(&config, &plane, revocations).await?;
    let listener = plane.listen(Peer::Auth, &config.process).await?;
    let shutdown = astro_platform::shutdown::on_signal();
    astro_platform::metrics::spawn_endpoint(&config.process, Peer::Auth, shutdown.clone()).await;
    app.serve(listener, shutdown).await?;
    Ok(())
}
