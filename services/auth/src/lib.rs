//! The auth service: credentials checks, tokens, sessions, one-time tokens, and the outbox of
//! emails those flows cause.
mod audit;
pub mod bootstrap;
pub mod error;
mod flows;
mod grpc;
pub mod hashing;
mod migrations;
mod outbox;
mod repo;

pub use error::AuthError;
pub use flows::Auth;

use astro_common::{Settings, db::Db, grpc::lazy_channel, revocation::RevocationStore, tokens::TokenKeys};
use astro_proto::{
    admin::v1::admin_service_client::AdminServiceClient, auth::v1::auth_service_server::AuthServiceServer,
    notification::v1::notification_service_client::NotificationServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use std::sync::Arc;
use tokio::{net::TcpListener, sync::Notify};
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] astro_common::db::DbError),
    #[error(transparent)]
    Config(#[from] astro_common::tokens::UnsupportedAlgorithm),
    #[error(transparent)]
    ServiceUrl(#[from] astro_common::grpc::BadServiceUrl),
    #[error(transparent)]
    Hashing(#[from] hashing::HashingError),
    #[error(transparent)]
    Serve(#[from] tonic::transport::Error),
}

/// A built auth service, ready to serve.
pub struct AuthApp {
    auth: Auth,
    db: Db,
    relay: outbox::Relay,
}

impl AuthApp {
    /// Connects and migrates the database and prepares the clients of `user` and `notification`
    /// (connected lazily, so start order does not matter).
    pub async fn build(
        settings: &Settings,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StartError> {
        let db = Db::connect(&settings.database_url).await?;
        db.migrate(&migrations::MIGRATIONS).await?;
        let repo = repo::for_db(&db);
        let outbox_wake = Arc::new(Notify::new());
        let notifications = NotificationServiceClient::new(lazy_channel(&settings.services.notification)?);
        let auth = Auth {
            repo: Arc::clone(&repo),
            users: UserServiceClient::new(lazy_channel(&settings.services.user)?),
            keys: Arc::new(TokenKeys::new(&settings.jwt)?),
            revocations,
            hasher: hashing::PasswordHasher::new(&settings.hashing)?,
            outbox_wake: Arc::clone(&outbox_wake),
            audit: audit::AuditLog::new(AdminServiceClient::new(lazy_channel(&settings.services.admin)?)),
            notifications: notifications.clone(),
        };
        let relay = outbox::Relay {
            repo,
            notifications,
            wake: outbox_wake,
            poll_interval: settings.mail.poll_interval,
            retry_base: settings.mail.retry_base,
        };
        Ok(Self { auth, db, relay })
    }

    /// Serves gRPC and relays the outbox until `shutdown` is cancelled.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> Result<(), StartError> {
        let relay = tokio::spawn(self.relay.run(shutdown.clone()));
        let (router, _health) = astro_common::grpc::server_with_health("auth.v1.AuthService").await;
        let router = router.add_service(AuthServiceServer::new(self.auth));
        let served = astro_common::grpc::serve(router, listener, shutdown).await;
        let _ = relay.await;
        self.db.close().await;
        Ok(served?)
    }
}
