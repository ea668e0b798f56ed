//! `user-service`: the user service alone, for one-process-per-service deployments.
use anyhow::Context;
use astro_common::{
    Settings,
    grpc::{Peer, Plane},
};
use user_service::UserApp;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("user-service");
    let settings = Settings::from_env().context("reading configuration")?;
    let plane = Plane::network(&settings)?;
    let listener = plane.listen(Peer::User, &settings).await?;
    let shutdown = astro_common::shutdown::on_signal();
    astro_common::metrics::spawn_endpoint(&settings, Peer::User, shutdown.clone()).await;
    let app = UserApp::build(&settings)
        .await
        .context("starting the user service")?;
    app.serve(listener, shutdown).await.context("serving")?;
    Ok(())
}
