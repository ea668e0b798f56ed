//! Delivery: claims due emails in batches, sends them, and records the outcome with
//! exponential backoff, until shutdown.
use crate::{
    error::{NotificationError, Result},
    mailer::{Mailer, SendError},
    queue::{ClaimedEmail, EmailQueue, Retry},
};
use astro_platform::time::now_micros;
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};
use rand::Rng;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Emails claimed at once.
const BATCH: i64 = 16;
/// Upper bound on one delivery, on top of the transport's own per-command timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// A claim outlives the slowest possible batch, so a live dispatcher never loses its rows to
/// another replica; only a crashed one does.
const LEASE: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() * BATCH as u64 + 60);
/// No retry waits longer than this, however many attempts came before.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(24 * 3600);
/// Stored errors are for operators; keep rows small.
const MAX_ERROR_CHARS: usize = 1000;

/// How the dispatcher paces itself.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    pub from: Mailbox,
    pub poll_interval: Duration,
    pub max_attempts: u32,
    pub retry_base: Duration,
}

/// The delivery loop.
pub struct Dispatcher {
    queue: Arc<dyn EmailQueue>,
    mailer: Arc<dyn Mailer>,
    wake: Arc<Notify>,
    config: DispatchConfig,
}

impl Dispatcher {
    pub fn new(
        queue: Arc<dyn EmailQueue>,
        mailer: Arc<dyn Mailer>,
        wake: Arc<Notify>,
        config: DispatchConfig,
    ) -> Self {
        Dispatcher {
            queue,
            mailer,
            wake,
            config,
        }
    }

    /// Delivers until `shutdown` is cancelled. Wakes on the [`Notify`] (a new email) or every
    /// poll interval (retries coming due, other replicas' emails).
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.drain(&shutdown).await {
                Ok(0) => {}
                Ok(sent) => tracing::debug!(sent, "delivered queued email"),
                Err(err) => tracing::warn!(error = %err, "email dispatch failed; retrying later"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        tracing::debug!("email dispatcher stopped");
    }

    /// Processes batches until none is full; answers how many emails were handled.
    pub async fn drain(&self, shutdown: &CancellationToken) -> Result<usize> {
        let requeued = self.queue.requeue_expired(now_micros()).await?;
        if requeued > 0 {
            tracing::warn!(requeued, "emails of a vanished dispatcher are queued again");
        }
        let mut handled = 0;
        loop {
            let now = now_micros();
            let lease_until = now.saturating_add(LEASE.as_micros() as i64);
            let batch = self.queue.claim_due(now, BATCH, lease_until).await?;
            let full = batch.len() as i64 == BATCH;
            let mut emails = batch.into_iter();
            while let Some(email) = emails.next() {
                if shutdown.is_cancelled() {
                    // Hand the rest back now rather than after the lease runs out.
                    let rest: Vec<i64> = std::iter::once(email.id).chain(emails.map(|e| e.id)).collect();
                    self.queue.release(&rest).await?;
                    return Ok(handled);
                }
                self.deliver(email).await?;
                handled += 1;
            }
            if !full {
                return Ok(handled);
            }
        }
    }

    async fn deliver(&self, email: ClaimedEmail) -> Result<()> {
        let outcome = match self.message(&email) {
            Ok(message) => match tokio::time::timeout(SEND_TIMEOUT, self.mailer.send(message)).await {
                Ok(result) => result,
                Err(_) => Err(SendError::transient("delivery timed out")),
            },
            Err(err) => Err(SendError {
                permanent: true,
                message: err.to_string(),
            }),
        };
        match outcome {
            Ok(()) => self.queue.mark_sent(email.id, now_micros()).await,
            Err(err) => {
                let attempts = email.attempts.saturating_add(1);
                let give_up = err.permanent || attempts as u32 >= self.config.max_attempts;
                let retry = if give_up {
                    Retry::Never
                } else {
                    let delay = retry_delay(
                        self.config.retry_base,
                        attempts as u32,
                        rand::rng().random_range(0.0..=0.5),
                    );
                    Retry::At(now_micros().saturating_add(delay.as_micros() as i64))
                };
                // The recipient is personal data: log the row id only.
                tracing::warn!(id = email.id, attempts, dead = give_up, error = %err.message, "email delivery failed");
                let error: String = err.message.chars().take(MAX_ERROR_CHARS).collect();
                self.queue.mark_failed(email.id, attempts, &error, retry).await
            }
        }
    }

    fn message(&self, email: &ClaimedEmail) -> Result<Message> {
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e| NotificationError::invalid("to", format!("{e}")))?;
        Message::builder()
            .from(self.config.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(Some(email.message_id.clone()))
            .date_now()
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|e| NotificationError::invalid("message", e.to_string()))
    }
}

/// `base * 2^(attempts-1)`, stretched by `jitter` (0.0-0.5) so that replicas retrying after one
/// outage do not all knock at once.
pub fn retry_delay(base: Duration, attempts: u32, jitter: f64) -> Duration {
    let exponent = attempts.saturating_sub(1).min(30);
    // Capped before the jitter so the float multiplication cannot overflow.
    let delay = base.saturating_mul(1 << exponent).min(MAX_RETRY_DELAY);
    delay.mul_f64(1.0 + jitter.clamp(0.0, 0.5)).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests;
