//! The notification service: an email outbox fed over gRPC (`notification.v1`) and a
//! dispatcher that delivers it to SMTP or `.eml` files with retries and backoff, so callers
//! never wait on, or lose mail to, a slow or down mail server.

pub mod access;
mod config;
pub mod dispatcher;
pub mod error;
pub mod grpc;
pub mod janitor;
pub mod kind;
pub mod mailer;
mod migrations;
pub mod queue;
pub mod templates;

pub use config::NotificationConfig;
pub use error::NotificationError;

use astro_platform::{grpc::Listener, janitor::Janitor as _};
use astro_proto::notification::v1::notification_service_server::NotificationServiceServer;
use astro_store::Db;
use dispatcher::{DispatchConfig, Dispatcher};
use grpc::NotificationGrpc;
pub use janitor::Janitor;
use lettre::message::Mailbox;
use std::sync::Arc;
use templates::Templates;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The gRPC service name health is reported for.
pub const SERVICE_NAME: &str = "notification.v1.NotificationService";

/// A built service: database migrated, templates loaded, transport ready.
pub struct NotificationApp {
    db: Db,
    service: NotificationGrpc,
    dispatcher: Dispatcher,
    janitor: Janitor,
}

impl NotificationApp {
    /// Connects `DATABASE_URL`, applies this service's migrations and builds the mail
    /// transport. Templates come from the binary, overridden per file by `TEMPLATE_DIR`.
    pub async fn build(config: &NotificationConfig) -> Result<Self, NotificationError> {
        let from: Mailbox = config
            .mail
            .from_email
            .parse()
            .map_err(|e| NotificationError::Config(format!("FROM_EMAIL: {e}")))?;
        let templates = Arc::new(Templates::load(config.mail.template_dir.as_deref())?);
        let mailer = mailer::from_settings(&config.mail).await?;

        let db = Db::connect(&config.database.url).await?;
        db.migrate(&queue::MIGRATIONS).await?;
        let queue = queue::for_db(&db);

        let janitor = Janitor::new(
            queue.clone(),
            config.janitor.interval,
            config.janitor.email_retention,
        );
        let wake = Arc::new(Notify::new());
        let service = NotificationGrpc {
            queue: queue.clone(),
            templates,
            wake: wake.clone(),
            frontend_url: config.mail.frontend_url.clone(),
            message_id_domain: from.email.domain().to_owned(),
        };
        let config = DispatchConfig {
            from,
            poll_interval: config.pacing.poll_interval,
            max_attempts: config.mail.max_attempts.max(1),
            retry_base: config.pacing.retry_base,
        };
        let dispatcher = Dispatcher::new(queue, mailer, wake, config);
        Ok(NotificationApp {
            db,
            service,
            dispatcher,
            janitor,
        })
    }

    /// The janitor [`NotificationApp::serve`] runs, for a pass on demand (tests, operators).
    pub fn janitor(&self) -> Janitor {
        self.janitor.clone()
    }

    /// Serves gRPC (with health and reflection) on `listener` and runs the dispatcher and the
    /// janitor until `shutdown` is cancelled, then drains them all and closes the pool.
    pub async fn serve(
        self,
        listener: Listener,
        shutdown: CancellationToken,
    ) -> Result<(), NotificationError> {
        let NotificationApp {
            db,
            service,
            dispatcher,
            janitor,
        } = self;
        let (router, _health) =
            astro_platform::grpc::server_with_health(SERVICE_NAME, &access::SERVED, &listener).await?;
        let router = router.add_service(NotificationServiceServer::new(service));
        let dispatching = tokio::spawn(dispatcher.run(shutdown.clone()));
        let cleaning = tokio::spawn(janitor.run(shutdown.clone()));
        let served = astro_platform::grpc::serve(router, listener, shutdown.clone()).await;
        // A server that failed on its own takes the dispatcher down with it.
        shutdown.cancel();
        if let Err(err) = dispatching.await {
            tracing::error!(error = %err, "email dispatcher panicked");
        }
        if let Err(err) = cleaning.await {
            tracing::error!(error = %err, "email janitor panicked");
        }
        db.close().await;
        served.map_err(NotificationError::from)
    }
}
