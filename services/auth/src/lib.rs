//! The auth service: credentials checks, tokens, sessions, one-time tokens, and the outbox of
//! emails those flows cause.
pub mod access;
mod audit;
pub mod bootstrap;
mod config;
mod consumer;
pub mod error;
mod flows;
mod grpc;
pub mod hashing;
pub mod janitor;
mod migrations;
mod outbox;
pub mod repo;
pub mod signing;
mod totp;

pub use config::AuthConfig;
pub use error::AuthError;
pub use flows::Auth;
pub use janitor::Janitor;
pub use migrations::MIGRATIONS;

use astro_platform::{
    dependency::service_channel,
    grpc::{Listener, Peer, Plane},
    janitor::Janitor as _,
};
use astro_proto::{
    admin::v1::admin_service_client::AdminServiceClient,
    auth::v1::{auth_service_server::AuthServiceServer, token_service_server::TokenServiceServer},
    notification::v1::notification_service_client::NotificationServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use astro_security::{revocation::RevocationStore, sealing::DataKey, tokens::TokenKeys};
use astro_store::Db;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] astro_store::DbError),
    #[error(transparent)]
    Config(#[from] astro_security::tokens::UnsupportedAlgorithm),
    #[error(transparent)]
    DataKey(#[from] astro_security::sealing::SealError),
    #[error(transparent)]
    Plane(#[from] astro_platform::grpc::PlaneError),
    #[error(transparent)]
    ServerTls(#[from] astro_platform::grpc::ServerTlsError),
    #[error(transparent)]
    Hashing(#[from] hashing::HashingError),
    #[error(transparent)]
    Serve(#[from] tonic::transport::Error),
    #[error("INITIAL_ADMIN_*: {0}")]
    InitialAdmin(#[source] AuthError),
    #[error("the first signing key: {0}")]
    FirstKey(#[source] AuthError),
    #[error(transparent)]
    SigningKeys(#[from] astro_security::signing_keys::KeySourceError),
}

/// A built auth service, ready to serve.
pub struct AuthApp {
    auth: Auth,
    db: Db,
    relay: outbox::Relay,
    janitor: Janitor,
    first_admin: Option<bootstrap::FirstAdmin>,
    /// With `JWT_ALGORITHM=EdDSA`, the keys `ListSigningKeys` lists.
    signing: Option<signing::SigningKeys>,
}

impl AuthApp {
    /// Connects and migrates the database and prepares the clients of `user` and `notification`
    /// (connected lazily, so start order does not matter).
    pub async fn build(
        config: &AuthConfig,
        plane: &Plane,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StartError> {
        let db = Db::connect(&config.database.url).await?;
        db.migrate(&migrations::MIGRATIONS).await?;
        let repo = repo::for_db(&db);
        let data_key = Arc::new(DataKey::from_settings(&config.encryption, &config.jwt)?);
        let signing = match config.jwt.uses_signing_keys() {
            true => {
                let signing = signing::SigningKeys::new(
                    repo::signing_keys_for_db(&db),
                    DataKey::clone(&data_key),
                    &config.jwt,
                );
                signing
                    .ensure_first(astro_platform::time::now_secs())
                    .await
                    .map_err(StartError::FirstKey)?;
                Some(signing)
            }
            false => None,
        };
        let keys = TokenKeys::new(&config.jwt, signing.clone().map(|s| Arc::new(s) as _))?;
        // Tokens are minted from the first login on: a key must be loaded before serving.
        keys.load().await?;
        let outbox_wake = Arc::new(Notify::new());
        let notifications = NotificationServiceClient::new(service_channel(plane, Peer::Notification)?);
        let auth = Auth {
            repo: Arc::clone(&repo),
            users: UserServiceClient::new(service_channel(plane, Peer::User)?),
            keys: Arc::new(keys),
            revocations,
            hasher: hashing::PasswordHasher::new(&config.hashing)?,
            outbox_wake: Arc::clone(&outbox_wake),
            audit: audit::AuditLog::new(AdminServiceClient::new(service_channel(plane, Peer::Admin)?)),
            notifications: notifications.clone(),
            data_key,
            mfa: repo::mfa_for_db(&db),
            clock: config.clock.clone(),
            recent_auth_max_age: config.recent_auth.max_age.as_secs() as i64,
        };
        let janitor = Janitor::new(Arc::clone(&repo), config.janitor.interval);
        let relay = outbox::Relay {
            repo,
            notifications,
            wake: outbox_wake,
            poll_interval: config.pacing.poll_interval,
            retry_base: config.pacing.retry_base,
        };
        // Checked now, so that a bad INITIAL_ADMIN_* stops the start; created once serving.
        let first_admin = match &config.initial_admin {
            Some(admin) => Some(bootstrap::FirstAdmin {
                account: bootstrap::AdminAccount::parse(admin).map_err(StartError::InitialAdmin)?,
                users: auth.users.clone(),
                hasher: Arc::clone(&auth.hasher),
            }),
            None => None,
        };
        Ok(Self {
            auth,
            db,
            relay,
            janitor,
            first_admin,
            signing,
        })
    }

    /// The janitor [`AuthApp::serve`] runs, for a pass on demand (tests, operators' tools).
    pub fn janitor(&self) -> Janitor {
        self.janitor.clone()
    }

    /// Serves gRPC, relays the outbox and runs the janitor until `shutdown` is cancelled,
    /// creating the initial admin meanwhile (see [`bootstrap`]); stops early if that admin cannot
    /// be created.
    pub async fn serve(self, listener: Listener, shutdown: CancellationToken) -> Result<(), StartError> {
        let (router, health) =
            astro_platform::grpc::server_with_health("auth.v1.AuthService", &access::SERVED, &listener)
                .await?;
        let stop = shutdown.child_token();
        let relay = tokio::spawn(self.relay.run(stop.clone()));
        let janitor = tokio::spawn(self.janitor.run(stop.clone()));
        let first_admin = match self.first_admin {
            Some(admin) => Some(admin.spawn(health, stop.clone()).await),
            None => None,
        };
        let tokens = consumer::TokenCheck {
            keys: Arc::clone(&self.auth.keys),
            revocations: Arc::clone(&self.auth.revocations),
            users: self.auth.users.clone(),
            signing: self.signing,
        };
        let router = router
            .add_service(TokenServiceServer::new(tokens))
            .add_service(AuthServiceServer::new(self.auth));
        let served = astro_platform::grpc::serve(router, listener, stop.clone()).await;
        stop.cancel();
        let bootstrapped = match first_admin {
            Some(task) => task
                .await
                .unwrap_or_else(|e| Err(AuthError::Internal(e.to_string()))),
            None => Ok(()),
        };
        let _ = relay.await;
        let _ = janitor.await;
        self.db.close().await;
        served?;
        bootstrapped.map_err(StartError::InitialAdmin)
    }
}
