//! The first admin: created at start from `INITIAL_ADMIN_*` when no admin exists yet, or on
//! demand by `astro-auth create-admin`. It lives in `auth` because hashing does: the user
//! service never sees a plain password.
//!
//! Every auth service that starts with `INITIAL_ADMIN_*` set (the one-process binary's, or
//! each of several `auth-service` replicas) creates the admin in the background, retrying
//! until the user service answers, since that may start later. The user service decides
//! "only if no admin exists" atomically, so replicas racing create exactly one. The auth
//! server reports NOT_SERVING on `grpc.health.v1` until then, so "ready" means "bootstrapped".
use crate::{error::AuthError, hashing::PasswordHasher};
use astro_domain::{Role, input, password_policy, reason::Reason};
use astro_platform::{
    config::{HashingSettings, InitialAdmin},
    dependency::{ServiceChannel, service_channel},
    grpc::{Peer, Plane},
};
use astro_proto::user::v1::{
    CountAdminsRequest, CreateFirstAdminRequest, CreateUserRequest, User,
    user_service_client::UserServiceClient,
};
use secrecy::{ExposeSecret, SecretString};
use std::{sync::Arc, time::Duration};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use tonic_health::{
    ServingStatus,
    pb::{HealthCheckRequest, health_check_response::ServingStatus as Reported, health_client::HealthClient},
    server::HealthReporter,
};

/// The first wait before trying again, doubled after each failure up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);
/// How often [`wait_until_serving`] asks.
const READY_POLL: Duration = Duration::from_millis(10);

/// The whole server, as orchestrators' probes and the gateway's readiness check ask for it.
const WHOLE_SERVER: &str = "";

/// What creating the first admin did.
#[derive(Debug)]
enum Outcome {
    Created(Box<User>),
    /// An admin already existed, possibly created a moment ago by another replica.
    AlreadyThere,
}

/// An admin's settings, checked: a valid address and username, and a password that passes the
/// policy (with the admin's own words, as for everyone).
#[derive(Clone)]
pub struct AdminAccount {
    email: String,
    username: String,
    password: SecretString,
}

impl AdminAccount {
    pub fn parse(admin: &InitialAdmin) -> Result<Self, AuthError> {
        let email = input::email(&admin.email).map_err(|e| AuthError::invalid("email", e))?;
        let username = input::username(&admin.username).map_err(|e| AuthError::invalid("username", e))?;
        password_policy::check(admin.password.expose_secret(), &[&username, &email])
            .map_err(|weak| AuthError::invalid("password", weak))?;
        Ok(AdminAccount {
            email,
            username,
            password: admin.password.clone(),
        })
    }
}

/// Creates `admin` as a verified admin through the user service on `plane`,
/// whether or not other admins exist (the operator asked for it).
pub async fn create_admin(
    plane: &Plane,
    hashing: &HashingSettings,
    admin: &InitialAdmin,
) -> Result<User, AuthError> {
    let account = AdminAccount::parse(admin)?;
    let channel = service_channel(plane, Peer::User).map_err(|e| AuthError::Internal(e.to_string()))?;
    let password_hash = PasswordHasher::new(hashing)?.hash(account.password).await?;
    let request = CreateUserRequest {
        email: account.email,
        username: account.username,
        password_hash,
        first_name: None,
        last_name: None,
        role: Role::Admin.wire(),
        is_verified: true,
    };
    match UserServiceClient::new(channel).create_user(request).await {
        Ok(created) => Ok(created.into_inner()),
        Err(status) => Err(refused(status)),
    }
}

/// The initial admin of a starting auth service.
pub(crate) struct FirstAdmin {
    pub(crate) account: AdminAccount,
    pub(crate) users: UserServiceClient<ServiceChannel>,
    pub(crate) hasher: Arc<PasswordHasher>,
}

impl FirstAdmin {
    /// Reports the server NOT_SERVING, then creates the admin in the background unless one
    /// exists, and reports SERVING once done. An admin that cannot be created (its address
    /// taken by a plain user, say) cancels `stop`, stopping the server, and is the task's
    /// error. The task ends early, quietly, when `stop` is cancelled.
    pub(crate) async fn spawn(
        self,
        health: HealthReporter,
        stop: CancellationToken,
    ) -> JoinHandle<Result<(), AuthError>> {
        // Before the server accepts its first call, so that no probe sees it ready too early.
        health
            .set_service_status(WHOLE_SERVER, ServingStatus::NotServing)
            .await;
        tokio::spawn(self.run(health, stop))
    }

    async fn run(self, health: HealthReporter, stop: CancellationToken) -> Result<(), AuthError> {
        let outcome = tokio::select! {
            outcome = self.ensure() => outcome,
            () = stop.cancelled() => return Ok(()),
        };
        match outcome {
            Ok(Outcome::Created(user)) => {
                tracing::info!(id = user.id, email = %user.email, "initial admin created");
            }
            Ok(Outcome::AlreadyThere) => tracing::debug!("an admin exists; INITIAL_ADMIN_* left unused"),
            Err(err) => {
                tracing::error!(error = %err, "cannot create the admin of INITIAL_ADMIN_*; stopping");
                stop.cancel();
                return Err(err);
            }
        }
        health
            .set_service_status(WHOLE_SERVER, ServingStatus::Serving)
            .await;
        Ok(())
    }

    /// Tries until the user service gives an answer, backing off while it (or its database)
    /// is unavailable.
    async fn ensure(mut self) -> Result<Outcome, AuthError> {
        // Hashed once, on the first attempt that needs it, whatever the retries.
        let mut password_hash = None;
        let mut delay = FIRST_RETRY;
        loop {
            match self.attempt(&mut password_hash).await {
                Err(err) if err.is_unavailable() => {
                    // The channel logs the user service's failures (rate-limited).
                    tracing::debug!(error = %err, retry_in = ?delay, "initial admin: user service unavailable");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_RETRY);
                }
                outcome => return outcome,
            }
        }
    }

    async fn attempt(&mut self, password_hash: &mut Option<String>) -> Result<Outcome, AuthError> {
        // A cheap look first: on every start but the very first, an admin exists and no hash
        // needs computing.
        let admins = self.users.count_admins(CountAdminsRequest {}).await;
        if admins.map_err(AuthError::Downstream)?.into_inner().admins > 0 {
            return Ok(Outcome::AlreadyThere);
        }
        let hash = match password_hash {
            Some(hash) => hash.clone(),
            None => password_hash
                .insert(self.hasher.hash(self.account.password.clone()).await?)
                .clone(),
        };
        let request = CreateFirstAdminRequest {
            email: self.account.email.clone(),
            username: self.account.username.clone(),
            password_hash: hash,
        };
        match self.users.create_first_admin(request).await {
            Ok(answer) => Ok(answer
                .into_inner()
                .created
                .map_or(Outcome::AlreadyThere, |user| Outcome::Created(Box::new(user)))),
            Err(status) => Err(refused(status)),
        }
    }
}

/// The user service's refusal of a new admin: a taken email or username stays a refusal
/// (logged in its reason's words); anything else is the user service failing.
fn refused(status: Status) -> AuthError {
    match Reason::of(&status) {
        Some(reason @ (Reason::EmailTaken | Reason::UsernameTaken)) => AuthError::Refused(reason),
        _ => AuthError::Downstream(status),
    }
}

/// Returns once the auth service at `auth_url` reports SERVING (with `INITIAL_ADMIN_*`, once
/// the admin exists); an error once it cannot be reached, e.g. because it stopped.
pub async fn wait_until_serving(plane: &Plane) -> Result<(), AuthError> {
    let channel = plane
        .channel(Peer::Auth)
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    let mut health = HealthClient::new(channel);
    loop {
        let request = HealthCheckRequest {
            service: WHOLE_SERVER.into(),
        };
        let status = health.check(request).await.map_err(AuthError::Downstream)?;
        if status.into_inner().status == Reported::Serving as i32 {
            return Ok(());
        }
        // Polled rather than watched: an open Watch stream would hold up the server's
        // graceful stop when the admin cannot be created.
        tokio::time::sleep(READY_POLL).await;
    }
}
