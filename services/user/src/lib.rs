//! The user service: owns the `users` table (password hashes included; it never sees a plain
//! password) and serves `user.v1.UserService` over gRPC.
pub mod access;
pub mod avatar;
mod config;
mod directory;
mod error;
mod grpc;
mod migrations;
pub mod repo;
pub mod validate;

pub use config::UserConfig;
pub use error::UserError;
pub use grpc::UserGrpc;
pub use migrations::MIGRATIONS;

use astro_platform::grpc::Listener;
use astro_proto::user::v1::{
    user_directory_server::UserDirectoryServer, user_service_server::UserServiceServer,
};
use astro_store::Db;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The gRPC service name reported by health checks.
pub const SERVICE_NAME: &str = "user.v1.UserService";
/// How often the health status follows the database's reachability.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

/// A migrated user service, ready to serve.
pub struct UserApp {
    db: Db,
    service: UserGrpc,
}

impl UserApp {
    /// Connects `DATABASE_URL` and applies this service's migrations.
    pub async fn build(config: &UserConfig) -> Result<Self, UserError> {
        let db = Db::connect(&config.database.url).await?;
        db.migrate(&MIGRATIONS).await?;
        let avatars = avatar::Avatars::new(avatar::store_for(&config.avatars)?);
        let service = UserGrpc::new(repo::for_db(&db), avatars);
        Ok(UserApp { db, service })
    }

    /// Serves gRPC (with health and reflection) on `listener` until `shutdown` is cancelled,
    /// then drains in-flight calls and closes the pool.
    pub async fn serve(self, listener: Listener, shutdown: CancellationToken) -> Result<(), UserError> {
        let (router, reporter) =
            astro_platform::grpc::server_with_health(SERVICE_NAME, &access::SERVED, &listener).await?;
        let directory = UserDirectoryServer::new(self.service.directory());
        // Avatar uploads are bigger than tonic's 4 MiB default allows.
        let users = UserServiceServer::new(self.service)
            .max_decoding_message_size(astro_platform::grpc::AVATAR_MESSAGE_BYTES)
            .max_encoding_message_size(astro_platform::grpc::AVATAR_MESSAGE_BYTES);
        let router = router.add_service(directory).add_service(users);
        // Health follows the database, so an orchestrator stops routing to a replica that
        // cannot reach it; calls still answer UNAVAILABLE meanwhile.
        let db = self.db.clone();
        let watch = shutdown.child_token();
        let health = tokio::spawn({
            let watch = watch.clone();
            async move {
                let mut serving = true;
                loop {
                    tokio::select! {
                        () = watch.cancelled() => break,
                        () = tokio::time::sleep(HEALTH_INTERVAL) => {}
                    }
                    let up = db.ping().await;
                    if up != serving {
                        serving = up;
                        let status = if up {
                            tonic_health::ServingStatus::Serving
                        } else {
                            tonic_health::ServingStatus::NotServing
                        };
                        tracing::warn!(database_reachable = up, "user service health changed");
                        reporter.set_service_status(SERVICE_NAME, status).await;
                    }
                }
            }
        });
        let served = astro_platform::grpc::serve(router, listener, shutdown).await;
        watch.cancel();
        let _ = health.await;
        self.db.close().await;
        Ok(served?)
    }
}
