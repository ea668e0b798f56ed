//! The first admin in the one-process binary: from `INITIAL_ADMIN_*` at start, or on demand
//! with `astro-auth create-admin`.
use crate::Stack;
use anyhow::Context;
use astro_platform::{
    Settings,
    config::InitialAdmin,
    grpc::{Peer, Plane},
};
use tokio_util::sync::CancellationToken;
use user_service::UserApp;

/// At start, once the services serve: the auth service creates the configured admin in the
/// background, as it does as a process of its own, and reports SERVING once the admin exists;
/// the stack has started when it does. An admin that cannot be created stops the start.
pub(crate) async fn initial_admin(stack: &mut Stack) -> anyhow::Result<()> {
    if stack.settings.initial_admin.is_none() {
        return Ok(());
    }
    if auth_service::bootstrap::wait_until_serving(&stack.plane)
        .await
        .is_ok()
    {
        return Ok(());
    }
    // The auth service stopped: its task says why.
    match stack.tasks.join_next().await {
        Some(Ok(Err(err))) => Err(err),
        _ => anyhow::bail!("the auth service stopped before creating the admin of INITIAL_ADMIN_*"),
    }
}

/// Creates `admin` as a verified admin (whether or not other admins exist), with the user
/// service started in process for the time it takes. Returns the new id.
pub async fn create_admin(settings: &Settings, admin: &InitialAdmin) -> anyhow::Result<i64> {
    let users = UserApp::build(&settings.into())
        .await
        .context("opening the users database")?;
    let plane = Plane::in_process();
    let listener = plane.listen(Peer::User, &settings.process).await?;
    let stop = CancellationToken::new();
    let server = tokio::spawn(users.serve(listener, stop.clone()));
    let created = auth_service::bootstrap::create_admin(&plane, &settings.hashing, admin).await;
    stop.cancel();
    server.await??;
    Ok(created?.id)
}
