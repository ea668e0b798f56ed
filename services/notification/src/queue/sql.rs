//! The outbox on either database: one struct over [`Db`], each method one [`on_pool!`]
//! dispatch (the rule is in `astro_store`). sqlx accepts `$n` placeholders on SQLite too,
//! so the statements are shared, but for the claim and the janitor's batch selection, which
//! lock rows on PostgreSQL, where several replicas may claim at once.
use super::{ClaimedEmail, EmailQueue, Finished, NewEmail, QueueCounts, Retry, counts};
use crate::{error::Result, kind::EmailKind};
use astro_store::{Db, on_pool};
use async_trait::async_trait;

const ENQUEUE: &str = "INSERT INTO email_queue (idempotency_key, kind, recipient, subject, body_text, \
     body_html, message_id, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
     ON CONFLICT (idempotency_key) DO NOTHING";
/// Claims with `$1` = now, `$2` = limit, `$3` = lease end. SKIP LOCKED: concurrent claimers
/// take disjoint rows instead of waiting on each other, and the row lock held until the UPDATE
/// commits means no row is claimed twice.
const CLAIM_PG: &str = "UPDATE email_queue SET status = 'sending', locked_until = $3 WHERE id IN (\
     SELECT id FROM email_queue WHERE status = 'pending' AND next_attempt_at <= $1 \
     ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
     RETURNING id, recipient, subject, body_text, body_html, message_id, attempts";
/// [`CLAIM_PG`] for SQLite, which has no row locks: the re-check of `status` in the outer
/// WHERE is what makes a claim exclusive here, the UPDATE being one write transaction, and
/// SQLite serialising those.
const CLAIM_SQLITE: &str = "UPDATE email_queue SET status = 'sending', locked_until = $3 \
     WHERE status = 'pending' AND id IN (\
     SELECT id FROM email_queue WHERE status = 'pending' AND next_attempt_at <= $1 \
     ORDER BY id LIMIT $2) \
     RETURNING id, recipient, subject, body_text, body_html, message_id, attempts";
const MARK_SENT: &str = "UPDATE email_queue SET status = 'sent', sent_at = $2, locked_until = NULL, \
     last_error = NULL, body_text = '', body_html = '' WHERE id = $1";
const MARK_FAILED: &str = "UPDATE email_queue SET status = $2, attempts = $3, last_error = $4, \
     next_attempt_at = COALESCE($5, next_attempt_at), locked_until = NULL, \
     body_text = CASE WHEN $2 = 'dead' THEN '' ELSE body_text END, \
     body_html = CASE WHEN $2 = 'dead' THEN '' ELSE body_html END \
     WHERE id = $1";
const RELEASE: &str = "UPDATE email_queue SET status = 'pending', locked_until = NULL \
     WHERE id = $1 AND status = 'sending'";
const REQUEUE_EXPIRED: &str = "UPDATE email_queue SET status = 'pending', locked_until = NULL \
     WHERE status = 'sending' AND locked_until < $1";
const STATS: &str = "SELECT status, COUNT(*) FROM email_queue GROUP BY status";
const PURGE: &str = "DELETE FROM email_queue WHERE recipient = $1 AND kind = $2";

/// Deletes at most `$2` emails that reached `state` before `$1`; on PostgreSQL, skipping rows
/// another replica's janitor is deleting.
fn delete_finished_sql(db: &Db, state: Finished) -> &'static str {
    match (db, state) {
        (Db::Postgres(_), Finished::Sent) => {
            "DELETE FROM email_queue WHERE id IN (SELECT id FROM email_queue \
             WHERE status = 'sent' AND sent_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        }
        (Db::Sqlite(_), Finished::Sent) => {
            "DELETE FROM email_queue WHERE id IN (SELECT id FROM email_queue \
             WHERE status = 'sent' AND sent_at < $1 LIMIT $2)"
        }
        (Db::Postgres(_), Finished::Dead) => {
            "DELETE FROM email_queue WHERE id IN (SELECT id FROM email_queue \
             WHERE status = 'dead' AND next_attempt_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        }
        (Db::Sqlite(_), Finished::Dead) => {
            "DELETE FROM email_queue WHERE id IN (SELECT id FROM email_queue \
             WHERE status = 'dead' AND next_attempt_at < $1 LIMIT $2)"
        }
    }
}

/// The outbox in whichever database the service runs on.
#[derive(Clone, Debug)]
pub struct SqlEmailQueue {
    db: Db,
}

impl SqlEmailQueue {
    pub fn new(db: Db) -> Self {
        SqlEmailQueue { db }
    }
}

#[async_trait]
impl EmailQueue for SqlEmailQueue {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.enqueue"))]
    async fn enqueue(&self, email: &NewEmail) -> Result<bool> {
        let done = on_pool!(self.db, |pool| {
            sqlx::query(ENQUEUE)
                .bind(&email.idempotency_key)
                .bind(email.kind.as_str())
                .bind(&email.recipient)
                .bind(&email.subject)
                .bind(&email.body_text)
                .bind(&email.body_html)
                .bind(&email.message_id)
                .bind(email.now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.claim_due"))]
    async fn claim_due(&self, now: i64, limit: i64, lease_until: i64) -> Result<Vec<ClaimedEmail>> {
        let sql = match self.db {
            Db::Postgres(_) => CLAIM_PG,
            Db::Sqlite(_) => CLAIM_SQLITE,
        };
        let mut claimed: Vec<ClaimedEmail> = on_pool!(self.db, |pool| {
            sqlx::query_as(sql)
                .bind(now)
                .bind(limit)
                .bind(lease_until)
                .fetch_all(pool)
                .await
        })?;
        // RETURNING promises no order; deliver oldest first.
        claimed.sort_by_key(|email| email.id);
        Ok(claimed)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.mark_sent"))]
    async fn mark_sent(&self, id: i64, now: i64) -> Result<()> {
        on_pool!(self.db, |pool| {
            sqlx::query(MARK_SENT).bind(id).bind(now).execute(pool).await?;
        });
        Ok(())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.mark_failed"))]
    async fn mark_failed(&self, id: i64, attempts: i32, error: &str, retry: Retry) -> Result<()> {
        let (status, next_attempt_at) = match retry {
            Retry::At(at) => ("pending", Some(at)),
            Retry::Never => ("dead", None),
        };
        on_pool!(self.db, |pool| {
            sqlx::query(MARK_FAILED)
                .bind(id)
                .bind(status)
                .bind(attempts)
                .bind(error)
                .bind(next_attempt_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.release"))]
    async fn release(&self, ids: &[i64]) -> Result<()> {
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            for id in ids {
                sqlx::query(RELEASE).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.requeue_expired"))]
    async fn requeue_expired(&self, now: i64) -> Result<u64> {
        let done = on_pool!(self.db, |pool| {
            sqlx::query(REQUEUE_EXPIRED)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.stats"))]
    async fn stats(&self) -> Result<QueueCounts> {
        let rows = on_pool!(self.db, |pool| sqlx::query_as(STATS).fetch_all(pool).await)?;
        Ok(counts(rows))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.purge_recipient"))]
    async fn purge_recipient(&self, recipient: &str, kinds: &[EmailKind]) -> Result<u64> {
        // One statement per kind keeps the SQL static (at most four kinds exist).
        let purged = on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            let mut purged = 0;
            for kind in kinds {
                let done = sqlx::query(PURGE)
                    .bind(recipient)
                    .bind(kind.as_str())
                    .execute(&mut *tx)
                    .await?;
                purged += done.rows_affected();
            }
            tx.commit().await?;
            purged
        });
        Ok(purged)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "notification.delete_finished"))]
    async fn delete_finished(&self, state: Finished, before: i64, limit: i64) -> Result<u64> {
        let sql = delete_finished_sql(&self.db, state);
        Ok(self.db.delete_batch(sql, before, limit).await?)
    }
}
