//! `auth-service`: the auth service as its own process.
use astro_common::{
    Settings,
    grpc::{Peer, Plane},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("auth-service");
    let settings = Settings::from_env()?;
    let plane = Plane::network(&settings)?;
    let revocations = astro_common::revocation::from_settings(&settings)?;
    let app = auth_service::AuthApp::build(&settings, &plane, revocations).await?;
    let listener = plane.listen(Peer::Auth, &settings).await?;
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(&settings, Peer::Auth, shutdown.clone()).await;
    app.serve(listener, shutdown).await?;
    Ok(())
}
