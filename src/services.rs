//! The four gRPC services of the one-process stack, each built and served the same way on the
//! in-process plane, so the stack can start them all and stop or restart any one of them alone
//! (an outage, in tests).
use admin_service::AdminApp;
use anyhow::Context;
use astro_platform::{
    Settings,
    grpc::{Listener, Peer, Plane},
    janitor::{Janitor as _, Swept},
};
use astro_security::revocation::RevocationStore;
use auth_service::AuthApp;
use notification_service::NotificationApp;
use std::{future::Future, pin::Pin, sync::Arc};
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

/// The janitor of a service that owns expiring rows (the user service owns none), for a pass
/// on demand beside the ones it makes on its interval.
#[derive(Clone)]
pub(crate) enum Janitor {
    Auth(auth_service::Janitor),
    Notification(notification_service::Janitor),
    Admin(admin_service::Janitor),
}

impl Janitor {
    pub(crate) async fn run_once(&self) -> anyhow::Result<Swept> {
        Ok(match self {
            Janitor::Auth(janitor) => janitor.run_once().await?,
            Janitor::Notification(janitor) => janitor.run_once().await?,
            Janitor::Admin(janitor) => janitor.run_once().await?,
        })
    }
}

impl Service {
    /// In build order.
    pub const ALL: [Service; 4] = [
        Service::User,
        Service::Notification,
        Service::Auth,
        Service::Admin,
    ];

    /// The service's name on the plane.
    pub fn peer(self) -> Peer {
        match self {
            Service::User => Peer::User,
            Service::Notification => Peer::Notification,
            Service::Auth => Peer::Auth,
            Service::Admin => Peer::Admin,
        }
    }

    /// Connects and migrates the service's database, prepares its clients, and returns it
    /// serving on `listener` until `stop` is cancelled, with its janitor if it has one.
    pub(crate) async fn build(
        self,
        settings: &Settings,
        plane: &Plane,
        revocations: &Arc<dyn RevocationStore>,
        listener: Listener,
        stop: CancellationToken,
    ) -> anyhow::Result<(Serving, Option<Janitor>)> {
        let context = || format!("starting the {self:?} service");
        let built: (Serving, Option<Janitor>) = match self {
            Service::User => {
                let app = UserApp::build(&settings.into()).await.with_context(context)?;
                (
                    Box::pin(async move { Ok(app.serve(listener, stop).await?) }),
                    None,
                )
            }
            Service::Notification => {
                let app = NotificationApp::build(&settings.into())
                    .await
                    .with_context(context)?;
                let janitor = Janitor::Notification(app.janitor());
                (
                    Box::pin(async move { Ok(app.serve(listener, stop).await?) }),
                    Some(janitor),
                )
            }
            Service::Auth => {
                let app = AuthApp::build(&settings.into(), plane, Arc::clone(revocations))
                    .await
                    .with_context(context)?;
                let janitor = Janitor::Auth(app.janitor());
                (
                    Box::pin(async move { Ok(app.serve(listener, stop).await?) }),
                    Some(janitor),
                )
            }
            Service::Admin => {
                let app = AdminApp::build(&settings.into(), plane, Arc::clone(revocations))
                    .await
                    .with_context(context)?;
                let janitor = Janitor::Admin(app.janitor());
                (
                    Box::pin(async move { Ok(app.serve(listener, stop).await?) }),
                    Some(janitor),
                )
            }
        };
        Ok(built)
    }
}
