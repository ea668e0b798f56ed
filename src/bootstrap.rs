//! The first admin in the one-process binary: from `INITIAL_ADMIN_*` at start, or on demand
//! with `astro-auth create-admin`.
use anyhow::Context;
use astro_common::{Settings, config::InitialAdmin};
use auth_service::bootstrap::{Outcome, When, create_admin as create};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use user_service::UserApp;

/// At start, once the services serve: creates the configured admin when no admin exists.
/// A configured admin that cannot be created (a weak password, say) stops the start.
pub(crate) async fn initial_admin(settings: &Settings) -> anyhow::Result<()> {
    let Some(admin) = &settings.initial_admin else {
        return Ok(());
    };
    let outcome = create(
        &settings.services.user,
        &settings.hashing,
        admin,
        When::NoAdminYet,
    )
    .await
    .context("creating the initial admin from INITIAL_ADMIN_*")?;
    match outcome {
        Outcome::Created(user) => tracing::info!(id = user.id, email = %user.email, "initial admin created"),
        Outcome::AlreadyThere => tracing::debug!("an admin exists; INITIAL_ADMIN_* left unused"),
    }
    Ok(())
}

/// Creates `admin` as a verified admin (whether or not other admins exist), with the user
/// service started in-process on a loopback port for the time it takes. Returns the new id.
pub async fn create_admin(settings: &Settings, admin: &InitialAdmin) -> anyhow::Result<i64> {
    let users = UserApp::build(settings)
        .await
        .context("opening the users database")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let stop = CancellationToken::new();
    let server = tokio::spawn(users.serve(listener, stop.clone()));
    let outcome = create(&url, &settings.hashing, admin, When::Always).await;
    stop.cancel();
    server.await??;
    match outcome? {
        Outcome::Created(user) => Ok(user.id),
        Outcome::AlreadyThere => anyhow::bail!("the admin already exists"),
    }
}
