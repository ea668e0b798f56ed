//! The email outbox behind a repository trait, with one implementation per database. The SQL
//! is written once and expanded for both pool types by [`email_queue_impl!`]; only the claim
//! query differs (row locking exists on PostgreSQL only).
use crate::{error::Result, kind::EmailKind};
use astro_common::db::{Db, Migrations};
use async_trait::async_trait;
use std::sync::Arc;

mod postgres;
mod sqlite;

pub use postgres::PgEmailQueue;
pub use sqlite::SqliteEmailQueue;

/// This service's schema, tracked in `_notification_migrations`.
pub const MIGRATIONS: Migrations = Migrations {
    service: "notification",
    postgres: &[(
        1,
        "email queue",
        include_str!("../../migrations/postgres/0001_email_queue.sql"),
    )],
    sqlite: &[(
        1,
        "email queue",
        include_str!("../../migrations/sqlite/0001_email_queue.sql"),
    )],
};

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

/// An email claimed for delivery by one dispatcher.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Column order of [`CLAIMED_COLUMNS`].
type ClaimedRow = (i64, String, String, String, String, String, i32);

impl From<ClaimedRow> for ClaimedEmail {
    fn from((id, recipient, subject, body_text, body_html, message_id, attempts): ClaimedRow) -> Self {
        ClaimedEmail {
            id,
            recipient,
            subject,
            body_text,
            body_html,
            message_id,
            attempts,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this time (microseconds since the epoch).
    At(i64),
    /// Give up: the email is `dead`.
    Never,
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
}

/// The queue on `db`'s pool.
pub fn for_db(db: &Db) -> Arc<dyn EmailQueue> {
    match db {
        Db::Postgres(pool) => Arc::new(PgEmailQueue(pool.clone())),
        Db::Sqlite(pool) => Arc::new(SqliteEmailQueue(pool.clone())),
    }
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

/// What the claim query returns, in [`ClaimedRow`] order.
macro_rules! claimed_columns {
    () => {
        "id, recipient, subject, body_text, body_html, message_id, attempts"
    };
}
pub(crate) use claimed_columns;

/// Implements [`EmailQueue`] for a newtype over a sqlx pool. `$claim` is the dialect's claim
/// query with `$1` = now, `$2` = limit, `$3` = lease end.
macro_rules! email_queue_impl {
    ($queue:ty, claim = $claim:expr) => {
        #[async_trait::async_trait]
        impl $crate::queue::EmailQueue for $queue {
            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.enqueue"))]
            async fn enqueue(&self, email: &$crate::queue::NewEmail) -> $crate::error::Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO email_queue (idempotency_key, kind, recipient, subject, body_text, \
                     body_html, message_id, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&email.idempotency_key)
                .bind(email.kind.as_str())
                .bind(&email.recipient)
                .bind(&email.subject)
                .bind(&email.body_text)
                .bind(&email.body_html)
                .bind(&email.message_id)
                .bind(email.now)
                .execute(&self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.claim_due"))]
            async fn claim_due(
                &self,
                now: i64,
                limit: i64,
                lease_until: i64,
            ) -> $crate::error::Result<Vec<$crate::queue::ClaimedEmail>> {
                let rows: Vec<(i64, String, String, String, String, String, i32)> = sqlx::query_as($claim)
                    .bind(now)
                    .bind(limit)
                    .bind(lease_until)
                    .fetch_all(&self.0)
                    .await?;
                // RETURNING promises no order; deliver oldest first.
                let mut claimed: Vec<$crate::queue::ClaimedEmail> =
                    rows.into_iter().map(Into::into).collect();
                claimed.sort_by_key(|email| email.id);
                Ok(claimed)
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.mark_sent"))]
            async fn mark_sent(&self, id: i64, now: i64) -> $crate::error::Result<()> {
                sqlx::query(
                    "UPDATE email_queue SET status = 'sent', sent_at = $2, locked_until = NULL, \
                     last_error = NULL, body_text = '', body_html = '' WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&self.0)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.mark_failed"))]
            async fn mark_failed(
                &self,
                id: i64,
                attempts: i32,
                error: &str,
                retry: $crate::queue::Retry,
            ) -> $crate::error::Result<()> {
                let (status, next_attempt_at) = match retry {
                    $crate::queue::Retry::At(at) => ("pending", Some(at)),
                    $crate::queue::Retry::Never => ("dead", None),
                };
                sqlx::query(
                    "UPDATE email_queue SET status = $2, attempts = $3, last_error = $4, \
                     next_attempt_at = COALESCE($5, next_attempt_at), locked_until = NULL, \
                     body_text = CASE WHEN $2 = 'dead' THEN '' ELSE body_text END, \
                     body_html = CASE WHEN $2 = 'dead' THEN '' ELSE body_html END \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(status)
                .bind(attempts)
                .bind(error)
                .bind(next_attempt_at)
                .execute(&self.0)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.release"))]
            async fn release(&self, ids: &[i64]) -> $crate::error::Result<()> {
                let mut tx = self.0.begin().await?;
                for id in ids {
                    sqlx::query(
                        "UPDATE email_queue SET status = 'pending', locked_until = NULL \
                         WHERE id = $1 AND status = 'sending'",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.requeue_expired"))]
            async fn requeue_expired(&self, now: i64) -> $crate::error::Result<u64> {
                let done = sqlx::query(
                    "UPDATE email_queue SET status = 'pending', locked_until = NULL \
                     WHERE status = 'sending' AND locked_until < $1",
                )
                .bind(now)
                .execute(&self.0)
                .await?;
                Ok(done.rows_affected())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.stats"))]
            async fn stats(&self) -> $crate::error::Result<$crate::queue::QueueCounts> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM email_queue GROUP BY status")
                        .fetch_all(&self.0)
                        .await?;
                Ok($crate::queue::counts(rows))
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.purge_recipient"))]
            async fn purge_recipient(
                &self,
                recipient: &str,
                kinds: &[$crate::kind::EmailKind],
            ) -> $crate::error::Result<u64> {
                // One statement per kind keeps the SQL static (at most four kinds exist).
                let mut tx = self.0.begin().await?;
                let mut purged = 0;
                for kind in kinds {
                    purged += sqlx::query("DELETE FROM email_queue WHERE recipient = $1 AND kind = $2")
                        .bind(recipient)
                        .bind(kind.as_str())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok(purged)
            }
        }
    };
}
pub(crate) use email_queue_impl;
