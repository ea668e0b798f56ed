//! The admin service: admin use cases over the user and auth services (listing, editing,
//! deleting users, roles, statistics) and the audit log, which it owns. Serves
//! `admin.v1.AdminService` over gRPC.
mod audit;
mod error;
mod grpc;
mod migrations;
mod service;
mod stats;
mod users;

pub use error::AdminError;
pub use migrations::MIGRATIONS;
pub use service::{Actor, Admin};
pub use users::{ROLE_CHANGED, USER_DELETED, USER_UPDATED};

use astro_common::{Settings, db::Db, grpc::lazy_channel, revocation::RevocationStore, tokens::TokenKeys};
use astro_proto::{
    admin::v1::admin_service_server::AdminServiceServer, auth::v1::auth_service_client::AuthServiceClient,
    notification::v1::notification_service_client::NotificationServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The gRPC service name reported by health checks.
pub const SERVICE_NAME: &str = "admin.v1.AdminService";

/// A migrated admin service, ready to serve.
pub struct AdminApp {
    db: Db,
    admin: Admin,
}

impl AdminApp {
    /// Connects and migrates the audit log, and prepares the clients of `user`, `auth` and
    /// `notification` (connected lazily, so start order does not matter). `revocations` is the
    /// store the callers' tokens are checked against, as in every service.
    pub async fn build(
        settings: &Settings,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, AdminError> {
        let db = Db::connect(&settings.database_url).await?;
        db.migrate(&MIGRATIONS).await?;
        let admin = Admin {
            users: UserServiceClient::new(lazy_channel(&settings.services.user)?),
            auth: AuthServiceClient::new(lazy_channel(&settings.services.auth)?),
            notifications: NotificationServiceClient::new(lazy_channel(&settings.services.notification)?),
            keys: Arc::new(TokenKeys::new(&settings.jwt)?),
            revocations,
            audit: audit::for_db(&db),
        };
        Ok(Self { db, admin })
    }

    /// Serves gRPC (with health and reflection) until `shutdown` is cancelled, then drains
    /// in-flight calls and closes the pool.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) -> Result<(), AdminError> {
        let (router, _health) = astro_common::grpc::server_with_health(SERVICE_NAME).await;
        let router = router.add_service(AdminServiceServer::new(self.admin));
        let served = astro_common::grpc::serve(router, listener, shutdown).await;
        self.db.close().await;
        Ok(served?)
    }
}
