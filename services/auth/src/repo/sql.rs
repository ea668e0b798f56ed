//! The auth repository's SQL, written once: the same statements run on PostgreSQL and SQLite
//! (both accept `$n` placeholders), so one macro body expands for each pool type.
use super::{AuthRepo, NewRefreshToken, NewSession, OutboxEmail, Purpose, QueuedEmail, RepoResult, Rotation};
use astro_common::time::now_micros;
use async_trait::async_trait;
use sqlx::{Row, postgres::PgPool, sqlite::SqlitePool};

pub struct PgAuthRepo(pub PgPool);
pub struct SqliteAuthRepo(pub SqlitePool);

macro_rules! auth_repo {
    ($repo:ty) => {
        #[async_trait]
        impl AuthRepo for $repo {
            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.create_session"))]
            async fn create_session(&self, session: NewSession<'_>, refresh: NewRefreshToken<'_>) -> RepoResult<()> {
                let mut tx = self.0.begin().await?;
                sqlx::query("INSERT INTO sessions (id, user_id, created_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5)")
                    .bind(session.id)
                    .bind(session.user_id)
                    .bind(now_micros())
                    .bind(session.ip)
                    .bind(session.user_agent)
                    .execute(&mut *tx)
                    .await?;
                insert_refresh!(&mut *tx, refresh);
                tx.commit().await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.rotate_refresh"))]
            async fn rotate_refresh(&self, jti: &str, next: NewRefreshToken<'_>) -> RepoResult<Rotation> {
                let now = now_micros();
                let mut tx = self.0.begin().await?;
                let consumed = sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $2 \
                     WHERE jti = $1 AND used_at IS NULL AND expires_at > $2 \
                       AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) \
                     RETURNING session_id",
                )
                .bind(jti)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if consumed.is_some() {
                    insert_refresh!(&mut *tx, next);
                    tx.commit().await?;
                    return Ok(Rotation::Rotated);
                }
                let used = sqlx::query("SELECT session_id FROM refresh_tokens WHERE jti = $1 AND used_at IS NOT NULL")
                    .bind(jti)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(match used {
                    Some(row) => Rotation::Reused { session_id: row.try_get("session_id")? },
                    None => Rotation::Rejected,
                })
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.revoke_session"))]
            async fn revoke_session(&self, session_id: &str) -> RepoResult<()> {
                let now = now_micros();
                let mut tx = self.0.begin().await?;
                sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE session_id = $1 AND used_at IS NULL")
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.revoke_user_sessions"))]
            async fn revoke_user_sessions(&self, user_id: i64, keep: Option<&str>) -> RepoResult<Vec<String>> {
                let now = now_micros();
                let keep = keep.unwrap_or("");
                let mut tx = self.0.begin().await?;
                let rows = sqlx::query(
                    "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id",
                )
                .bind(user_id)
                .bind(keep)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query("UPDATE refresh_tokens SET used_at = $3 WHERE user_id = $1 AND session_id <> $2 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(keep)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows.iter().map(|row| row.try_get("id")).collect()
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.issue_one_time_token"))]
            async fn issue_one_time_token(
                &self,
                user_id: i64,
                purpose: Purpose,
                token_hash: &str,
                expires_at: i64,
                email: OutboxEmail,
            ) -> RepoResult<()> {
                let now = now_micros();
                let mut tx = self.0.begin().await?;
                sqlx::query("UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(purpose.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(purpose.as_str())
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                insert_email!(&mut *tx, email, now);
                tx.commit().await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.peek_one_time_token"))]
            async fn peek_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>> {
                sqlx::query(
                    "SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now_micros())
                .fetch_optional(&self.0)
                .await?
                .map(|row| row.try_get("user_id"))
                .transpose()
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.consume_one_time_token"))]
            async fn consume_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>> {
                let now = now_micros();
                sqlx::query(
                    "UPDATE one_time_tokens SET used_at = $3 \
                     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
                )
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(&self.0)
                .await?
                .map(|row| row.try_get("user_id"))
                .transpose()
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.enqueue_email"))]
            async fn enqueue_email(&self, email: OutboxEmail) -> RepoResult<()> {
                insert_email!(&self.0, email, now_micros());
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.due_emails"))]
            async fn due_emails(&self, limit: i64) -> RepoResult<Vec<QueuedEmail>> {
                let rows = sqlx::query(
                    "SELECT id, idempotency_key, kind, recipient, name, token, attempts FROM email_outbox \
                     WHERE next_attempt_at <= $1 ORDER BY id LIMIT $2",
                )
                .bind(now_micros())
                .bind(limit)
                .fetch_all(&self.0)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(QueuedEmail {
                            id: row.try_get("id")?,
                            idempotency_key: row.try_get("idempotency_key")?,
                            kind: row.try_get("kind")?,
                            recipient: row.try_get("recipient")?,
                            name: row.try_get("name")?,
                            token: row.try_get("token")?,
                            attempts: row.try_get("attempts")?,
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.remove_email"))]
            async fn remove_email(&self, id: i64) -> RepoResult<()> {
                sqlx::query("DELETE FROM email_outbox WHERE id = $1").bind(id).execute(&self.0).await?;
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.retry_email"))]
            async fn retry_email(&self, id: i64, next_attempt_at: i64) -> RepoResult<()> {
                sqlx::query("UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(next_attempt_at)
                    .execute(&self.0)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.delete_user_data"))]
            async fn delete_user_data(&self, user_id: i64, keep_kinds: &[i32]) -> RepoResult<()> {
                let mut tx = self.0.begin().await?;
                for table in ["refresh_tokens", "sessions", "one_time_tokens"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE user_id = $1")))
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let queued = sqlx::query("SELECT id, kind FROM email_outbox WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in queued {
                    let kind: i32 = row.try_get("kind")?;
                    if !keep_kinds.contains(&kind) {
                        let id: i64 = row.try_get("id")?;
                        sqlx::query("DELETE FROM email_outbox WHERE id = $1").bind(id).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await
            }
        }
    };
}

macro_rules! insert_refresh {
    ($conn:expr, $token:expr) => {
        sqlx::query(
            "INSERT INTO refresh_tokens (jti, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind($token.jti)
        .bind($token.session_id)
        .bind($token.user_id)
        .bind($token.expires_at)
        .execute($conn)
        .await?
    };
}

macro_rules! insert_email {
    ($conn:expr, $email:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO email_outbox (idempotency_key, user_id, kind, recipient, name, token, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind($email.idempotency_key)
        .bind($email.user_id)
        .bind($email.kind)
        .bind($email.recipient)
        .bind($email.name)
        .bind($email.token)
        .bind($now)
        .execute($conn)
        .await?
    };
}

auth_repo!(PgAuthRepo);
auth_repo!(SqliteAuthRepo);
