//! The admin service: admin use cases over the user and auth services (listing, editing,
//! deleting users, roles, statistics) and the audit log, which it owns. Serves
//! `admin.v1.AdminService` over gRPC, and keeps the audit log to its retention period.
pub mod access;
pub mod audit;
mod config;
mod error;
mod grpc;
pub mod janitor;
mod migrations;
mod service;
mod stats;
mod users;

pub use config::AdminConfig;
pub use error::AdminError;
pub use janitor::Janitor;
pub use migrations::MIGRATIONS;
pub use service::{Actor, Admin};
pub use users::{ROLE_CHANGED, USER_DELETED, USER_UPDATED};

use astro_platform::{
    dependency::service_channel,
    grpc::{Listener, Peer, Plane},
    janitor::Janitor as _,
};
use astro_proto::{
    admin::v1::admin_service_server::AdminServiceServer, auth::v1::auth_service_client::AuthServiceClient,
    notification::v1::notification_service_client::NotificationServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use astro_security::{remote_keys::RemoteKeys, revocation::RevocationStore, tokens::TokenKeys};
use astro_store::Db;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The gRPC service name reported by health checks.
pub const SERVICE_NAME: &str = "admin.v1.AdminService";

/// A migrated admin service, ready to serve.
pub struct AdminApp {
    db: Db,
    admin: Admin,
    janitor: Janitor,
}

impl AdminApp {
    /// Connects and migrates the audit log, and prepares the clients of `user`, `auth` and
    /// `notification` (connected lazily, so start order does not matter). `revocations` is the
    /// store the callers' tokens are checked against, as in every service.
    pub async fn build(
        config: &AdminConfig,
        plane: &Plane,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, AdminError> {
        let db = Db::connect(&config.database.url).await?;
        db.migrate(&MIGRATIONS).await?;
        let audit = audit::for_db(&db);
        let janitor = Janitor::new(
            Arc::clone(&audit),
            config.janitor.interval,
            config.janitor.audit_retention,
        );
        let admin = Admin {
            users: UserServiceClient::new(service_channel(plane, Peer::User)?),
            auth: AuthServiceClient::new(service_channel(plane, Peer::Auth)?),
            notifications: NotificationServiceClient::new(service_channel(plane, Peer::Notification)?),
            // With EdDSA, the public keys from the auth service.
            keys: Arc::new(TokenKeys::new(
                &config.jwt,
                Some(Arc::new(RemoteKeys::new(service_channel(plane, Peer::Auth)?))),
            )?),
            revocations,
            audit,
        };
        Ok(Self { db, admin, janitor })
    }

    /// The janitor [`AdminApp::serve`] runs, for a pass on demand (tests, operators' tools).
    pub fn janitor(&self) -> Janitor {
        self.janitor.clone()
    }

    /// Serves gRPC (with health and reflection) and runs the janitor until `shutdown` is
    /// cancelled, then drains in-flight calls and closes the pool.
    pub async fn serve(self, listener: Listener, shutdown: CancellationToken) -> Result<(), AdminError> {
        let (router, _health) =
            astro_platform::grpc::server_with_health(SERVICE_NAME, &access::SERVED, &listener).await?;
        let router = router.add_service(AdminServiceServer::new(self.admin));
        let stop = shutdown.child_token();
        let cleaning = tokio::spawn(self.janitor.run(stop.clone()));
        let served = astro_platform::grpc::serve(router, listener, shutdown).await;
        // A server that failed on its own takes the janitor down with it.
        stop.cancel();
        let _ = cleaning.await;
        self.db.close().await;
        Ok(served?)
    }
}
