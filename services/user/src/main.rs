//! `user-service`: the user service alone, for one-process-per-service deployments.
use anyhow::Context;
use astro_platform::{
    config::Config,
    grpc::{Peer, Plane},
};
use user_service::{UserApp, UserConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("user-service");
    let config = UserConfig::from_env_and_args("user-service", "The user service as its own process")
        .context("reading configuration")?;
    let plane = Plane::network(&config.process)?;
    let listener = plane.listen(Peer::User, &config.process).await?;
    let shutdown = astro_platform::shutdown::on_signal();
    astro_platform::metrics::spawn_endpoint(&config.process, Peer::User, shutdown.clone()).await;
    let app = UserApp::build(&config)
        .await
        .context("starting the user service")?;
    app.serve(listener, shutdown).await.context("serving")?;
    Ok(())
}
