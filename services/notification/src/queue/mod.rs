//! The email outbox behind a repository trait, which [`SqlEmailQueue`] implements on both
//! databases; only the claim query and the janitor's batch selection differ between them (row
//! locking exists on PostgreSQL only).
use crate::{error::Result, kind::EmailKind};
use astro_store::Db;
use async_trait::async_trait;
use std::sync::Arc;

mod sql;

pub use sql::SqlEmailQueue;
// The schema lives beside the other services' (`src/migrations.rs`); callers found it here first.
pub use crate::migrations::MIGRATIONS;

/// An email to queue, already rendered.
#[derive(Clone, Debug)]
pub struct NewEmail {
    pub idempotency_key: String,
    pub kind: EmailKind,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Fixed when queued so that a retried delivery carries the same `Message-ID`.
    pub message_id: String,
    /// Microseconds since the epoch.
    pub now: i64,
}

/// An email claimed for delivery by one dispatcher, read straight from the claimed row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    /// Failed attempts so far.
    pub attempts: i32,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this time (microseconds since the epoch).
    At(i64),
    /// Give up: the email is `dead`.
    Never,
}

/// A final state: such emails are only kept for the record, for the retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// Aged by `sent_at`.
    Sent,
    /// Aged by `next_attempt_at`, when the last attempt came due (no column records the death
    /// itself; the attempt followed within seconds unless every dispatcher was down).
    Dead,
}

/// Queue size by state; `pending` includes emails waiting for a retry or being sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub pending: u64,
    pub sent: u64,
    pub dead: u64,
}

/// The outbox. Every method is one statement or one transaction, so any number of
/// dispatchers may share the table.
#[async_trait]
pub trait EmailQueue: Send + Sync {
    /// Queues `email` unless its idempotency key is already known; answers whether it queued.
    async fn enqueue(&self, email: &NewEmail) -> Result<bool>;
    /// Moves up to `limit` due emails to `sending`, leased until `lease_until`, and returns them.
    /// No email is returned to two callers while its lease runs.
    async fn claim_due(&self, now: i64, limit: i64, lease_until: i64) -> Result<Vec<ClaimedEmail>>;
    /// Records a delivery and drops the bodies (they hold one-time links).
    async fn mark_sent(&self, id: i64, now: i64) -> Result<()>;
    /// Records a failed attempt: `attempts` is the new total.
    async fn mark_failed(&self, id: i64, attempts: i32, error: &str, retry: Retry) -> Result<()>;
    /// Hands claimed but unattempted emails back (a dispatcher stopping mid-batch).
    async fn release(&self, ids: &[i64]) -> Result<()>;
    /// Returns emails whose lease ran out (their dispatcher died) to `pending`.
    async fn requeue_expired(&self, now: i64) -> Result<u64>;
    async fn stats(&self) -> Result<QueueCounts>;
    /// Deletes every email to `recipient` of one of `kinds`, whatever its state.
    async fn purge_recipient(&self, recipient: &str, kinds: &[EmailKind]) -> Result<u64>;
    /// Deletes at most `limit` emails that reached `state` before `before` (µs); answers how
    /// many. Concurrent callers delete disjoint rows.
    async fn delete_finished(&self, state: Finished, before: i64, limit: i64) -> Result<u64>;
}

/// The queue on `db`'s pool.
pub fn for_db(db: &Db) -> Arc<dyn EmailQueue> {
    Arc::new(SqlEmailQueue::new(db.clone()))
}

/// Folds `(status, count)` rows into counts.
fn counts(rows: Vec<(String, i64)>) -> QueueCounts {
    let mut counts = QueueCounts::default();
    for (status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match status.as_str() {
            "pending" | "sending" => counts.pending += n,
            "sent" => counts.sent += n,
            "dead" => counts.dead += n,
            _ => {}
        }
    }
    counts
}
