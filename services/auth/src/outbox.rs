//! The outbox relay: hands queued emails to the notification service and removes them once it
//! has accepted them. The idempotency key makes a repeat after a crash harmless, so an email
//! is neither lost (it stays queued until accepted) nor queued twice downstream.
use crate::repo::{AuthRepo, QueuedEmail};
use astro_platform::dependency::ServiceChannel;
use astro_proto::notification::v1::{
    SendEmailRequest, notification_service_client::NotificationServiceClient,
};
use rand::Rng;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const BATCH: i64 = 50;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

pub struct Relay {
    pub repo: Arc<dyn AuthRepo>,
    pub notifications: NotificationServiceClient<ServiceChannel>,
    pub wake: Arc<Notify>,
    pub poll_interval: Duration,
    pub retry_base: Duration,
}

impl Relay {
    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let full = match self.repo.due_emails(BATCH).await {
                Ok(batch) => {
                    let full = batch.len() as i64 == BATCH;
                    for email in batch {
                        self.hand_over(email).await;
                    }
                    full
                }
                Err(err) => {
                    tracing::warn!(error = %err, "outbox unavailable");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    async fn hand_over(&self, email: QueuedEmail) {
        let request = SendEmailRequest {
            idempotency_key: email.idempotency_key,
            kind: email.kind,
            to: email.recipient,
            name: email.name,
            token: email.token,
        };
        let outcome = match self.notifications.clone().send_email(request).await {
            Ok(_) => self.repo.remove_email(email.id).await,
            Err(status) => {
                tracing::warn!(error = %status, attempts = email.attempts, "notification service refused an email; will retry");
                let next =
                    astro_platform::time::now_micros() + self.backoff(email.attempts).as_micros() as i64;
                self.repo.retry_email(email.id, next).await
            }
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "could not update the outbox");
        }
    }

    /// Exponential backoff with up to 50% jitter, capped.
    fn backoff(&self, attempts: i32) -> Duration {
        let exp = self
            .retry_base
            .saturating_mul(1 << attempts.clamp(0, 16))
            .min(MAX_BACKOFF);
        exp + exp.mul_f64(rand::rng().random_range(0.0..0.5))
    }
}
