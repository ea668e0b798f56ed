//! The gRPC surface: validates requests, renders and queues emails, answers queue questions.
use crate::{
    error::{NotificationError, Result},
    kind::EmailKind,
    queue::{EmailQueue, NewEmail},
    templates::{self, Templates, Values},
};
use astro_platform::time::now_micros;
use astro_proto::notification::v1::{
    PurgeRecipientRequest, PurgeRecipientResponse, QueueStats, QueueStatsRequest, SendEmailRequest,
    SendEmailResponse, notification_service_server::NotificationService,
};
use std::sync::Arc;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

/// Callers derive keys from their own ids; anything longer is a bug, not a key.
const MAX_KEY_CHARS: usize = 200;
const MAX_TOKEN_CHARS: usize = 512;

/// The `notification.v1.NotificationService` implementation.
#[derive(Clone)]
pub struct NotificationGrpc {
    pub(crate) queue: Arc<dyn EmailQueue>,
    pub(crate) templates: Arc<Templates>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) frontend_url: String,
    /// The domain of `Message-ID`s (the sender's domain).
    pub(crate) message_id_domain: String,
}

impl NotificationGrpc {
    /// Validates, renders and queues one email; answers whether it was new.
    pub async fn send_email(&self, req: SendEmailRequest) -> Result<bool> {
        let key = req.idempotency_key.trim();
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return Err(NotificationError::invalid(
                "idempotency_key",
                "must be 1-200 characters",
            ));
        }
        let kind = EmailKind::from_proto(req.kind)?
            .ok_or_else(|| NotificationError::invalid("kind", "must be specified"))?;
        if req.to.trim().is_empty() {
            return Err(NotificationError::invalid("to", "must not be empty"));
        }
        // Stored in the same normal form as user accounts, so a purge by address finds it.
        let recipient = astro_domain::input::email(&req.to)
            .map_err(|e| NotificationError::invalid("to", e.to_string()))?;
        recipient
            .parse::<lettre::Address>()
            .map_err(|e| NotificationError::invalid("to", e.to_string()))?;
        if kind.needs_token() {
            check_token(&req.token)?;
        }
        let link = templates::link(kind, &self.frontend_url, &req.token);
        let rendered = self.templates.render(
            kind,
            Values {
                name: &req.name,
                link: &link,
            },
        );
        let email = NewEmail {
            idempotency_key: key.to_owned(),
            kind,
            recipient,
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: rendered.html,
            message_id: format!("<{}@{}>", uuid::Uuid::new_v4(), self.message_id_domain),
            now: now_micros(),
        };
        let queued = self.queue.enqueue(&email).await?;
        if queued {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// Deletes every email to `to` except the kinds in `keep_kinds`; answers how many.
    pub async fn purge_recipient(&self, req: PurgeRecipientRequest) -> Result<u64> {
        let recipient = astro_domain::input::email(&req.to)
            .map_err(|e| NotificationError::invalid("to", e.to_string()))?;
        let mut keep = Vec::with_capacity(req.keep_kinds.len());
        for value in req.keep_kinds {
            keep.extend(EmailKind::from_proto(value)?);
        }
        let purge: Vec<EmailKind> = EmailKind::ALL.into_iter().filter(|k| !keep.contains(k)).collect();
        self.queue.purge_recipient(&recipient, &purge).await
    }
}

/// Tokens go into links verbatim, so only URL-safe characters are accepted.
fn check_token(token: &str) -> Result<()> {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '=');
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS || !token.chars().all(url_safe) {
        return Err(NotificationError::invalid(
            "token",
            "must be a non-empty URL-safe token",
        ));
    }
    Ok(())
}

#[tonic::async_trait]
impl NotificationService for NotificationGrpc {
    async fn send_email(
        &self,
        request: Request<SendEmailRequest>,
    ) -> Result<Response<SendEmailResponse>, Status> {
        let queued = NotificationGrpc::send_email(self, request.into_inner()).await?;
        Ok(Response::new(SendEmailResponse { queued }))
    }

    async fn get_queue_stats(&self, _: Request<QueueStatsRequest>) -> Result<Response<QueueStats>, Status> {
        let counts = self.queue.stats().await.map_err(Status::from)?;
        Ok(Response::new(QueueStats {
            pending: counts.pending,
            sent: counts.sent,
            dead: counts.dead,
        }))
    }

    async fn purge_recipient(
        &self,
        request: Request<PurgeRecipientRequest>,
    ) -> Result<Response<PurgeRecipientResponse>, Status> {
        let purged = NotificationGrpc::purge_recipient(self, request.into_inner()).await?;
        Ok(Response::new(PurgeRecipientResponse { purged }))
    }
}
