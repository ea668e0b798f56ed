//! The four gRPC services of the one-process stack, each built and served the same way, so the
//! stack can start them all and stop or restart any one of them alone (an outage, in tests).
use admin_service::AdminApp;
use anyhow::Context;
use astro_common::{Settings, revocation::RevocationStore};
use auth_service::AuthApp;
use notification_service::NotificationApp;
use std::{future::Future, pin::Pin, sync::Arc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use user_service::UserApp;

/// One of the stack's gRPC services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    User,
    Notification,
    Auth,
    Admin,
}

/// A built service, serving until its token is cancelled.
pub(crate) type Serving = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

impl Service {
    /// In build order.
    pub const ALL: [Service; 4] = [
        Service::User,
        Service::Notification,
        Service::Auth,
        Service::Admin,
    ];

    /// Connects and migrates the service's database, prepares its clients, and returns it
    /// serving on `listener` until `stop` is cancelled.
    pub(crate) async fn build(
        self,
        settings: &Settings,
        revocations: &Arc<dyn RevocationStore>,
        listener: TcpListener,
        stop: CancellationToken,
    ) -> anyhow::Result<Serving> {
        let context = || format!("starting the {self:?} service");
        let serving: Serving = match self {
            Service::User => {
                let app = UserApp::build(settings).await.with_context(context)?;
                Box::pin(async move { Ok(app.serve(listener, stop).await?) })
            }
            Service::Notification => {
                let app = NotificationApp::build(settings).await.with_context(context)?;
                Box::pin(async move { Ok(app.serve(listener, stop).await?) })
            }
            Service::Auth => {
                let app = AuthApp::build(settings, Arc::clone(revocations))
                    .await
                    .with_context(context)?;
                Box::pin(async move { Ok(app.serve(listener, stop).await?) })
            }
            Service::Admin => {
                let app = AdminApp::build(settings, Arc::clone(revocations))
                    .await
                    .with_context(context)?;
                Box::pin(async move { Ok(app.serve(listener, stop).await?) })
            }
        };
        Ok(serving)
    }
}
