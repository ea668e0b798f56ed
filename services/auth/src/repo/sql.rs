//! Sessions, refresh tokens, one-time tokens and the outbox on either database: one struct over
//! [`Db`], each method one [`on_pool!`] dispatch (the rule is in `astro_store`).
use super::{
    AuthRepo, Expiring, NewRefreshToken, NewSession, OutboxEmail, Purpose, QueuedEmail, RepoResult, Rotation,
    SessionRecord,
};
use astro_platform::time::now_micros;
use astro_store::{Db, on_pool};
use async_trait::async_trait;

mod mfa;
mod sessions;
mod signing_keys;
mod statements;

use statements::*;

/// The auth service's tables in whichever database it runs on.
#[derive(Clone, Debug)]
pub struct SqlAuthRepo {
    db: Db,
}

/// A one-time token to store with the email that carries it.
struct NewOneTimeToken<'a> {
    user_id: i64,
    purpose: Purpose,
    token_hash: &'a str,
    expires_at: i64,
}

impl SqlAuthRepo {
    pub fn new(db: Db) -> Self {
        SqlAuthRepo { db }
    }

    /// Queues `email`; with a `token`, in one transaction that first stores the token and
    /// invalidates the user's older ones of its purpose.
    async fn queue_email(&self, token: Option<NewOneTimeToken<'_>>, email: OutboxEmail) -> RepoResult<()> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let insert_email = sqlx::query(INSERT_EMAIL)
                .bind(email.idempotency_key)
                .bind(email.user_id)
                .bind(email.kind)
                .bind(email.recipient)
                .bind(email.name)
                .bind(email.token)
                .bind(now);
            let Some(token) = token else {
                return insert_email.execute(pool).await.map(drop);
            };
            let mut tx = pool.begin().await?;
            sqlx::query(SUPERSEDE_ONE_TIME)
                .bind(token.user_id)
                .bind(token.purpose.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_ONE_TIME)
                .bind(token.token_hash)
                .bind(token.user_id)
                .bind(token.purpose.as_str())
                .bind(now)
                .bind(token.expires_at)
                .execute(&mut *tx)
                .await?;
            insert_email.execute(&mut *tx).await?;
            tx.commit().await
        })
    }
}

#[async_trait]
impl AuthRepo for SqlAuthRepo {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.create_session"))]
    async fn create_session(&self, session: NewSession<'_>, refresh: NewRefreshToken<'_>) -> RepoResult<()> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(INSERT_SESSION)
                .bind(session.id)
                .bind(session.user_id)
                .bind(now)
                .bind(session.ip)
                .bind(session.user_agent)
                .bind(refresh.expires_at)
                .bind(session.aal)
                .bind(session.auth_time)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_REFRESH)
                .bind(refresh.jti)
                .bind(refresh.session_id)
                .bind(refresh.user_id)
                .bind(refresh.expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.rotate_refresh"))]
    async fn rotate_refresh(
        &self,
        jti: &str,
        next: NewRefreshToken<'_>,
        grace_micros: i64,
    ) -> RepoResult<Rotation> {
        sessions::rotate(&self.db, jti, next, grace_micros).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.renew_session"))]
    async fn renew_session(&self, next: NewRefreshToken<'_>, aal: i32, auth_time: i64) -> RepoResult<bool> {
        sessions::renew(&self.db, next, aal, auth_time).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.revoke_session"))]
    async fn revoke_session(&self, session_id: &str) -> RepoResult<()> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(REVOKE_SESSION)
                .bind(session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(USE_SESSION_REFRESH)
                .bind(session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.revoke_user_sessions"))]
    async fn revoke_user_sessions(&self, user_id: i64, keep: Option<&str>) -> RepoResult<Vec<String>> {
        let now = now_micros();
        let keep = keep.unwrap_or("");
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            let revoked = sqlx::query_scalar(REVOKE_USER_SESSIONS)
                .bind(user_id)
                .bind(keep)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
            sqlx::query(USE_USER_REFRESH)
                .bind(user_id)
                .bind(keep)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(revoked)
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.touch_session"))]
    async fn touch_session(&self, id: &str, ip: &str, user_agent: &str) -> RepoResult<()> {
        sessions::touch(&self.db, id, ip, user_agent).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.list_sessions"))]
    async fn list_sessions(&self, user_id: i64) -> RepoResult<Vec<SessionRecord>> {
        sessions::list(&self.db, user_id).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.revoke_own_session"))]
    async fn revoke_own_session(&self, user_id: i64, id: &str) -> RepoResult<bool> {
        sessions::revoke_own(&self.db, user_id, id).await
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
        let token = NewOneTimeToken {
            user_id,
            purpose,
            token_hash,
            expires_at,
        };
        self.queue_email(Some(token), email).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.peek_one_time_token"))]
    async fn peek_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            sqlx::query_scalar(PEEK_ONE_TIME)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(pool)
                .await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.consume_one_time_token"))]
    async fn consume_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            sqlx::query_scalar(CONSUME_ONE_TIME)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(pool)
                .await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.enqueue_email"))]
    async fn enqueue_email(&self, email: OutboxEmail) -> RepoResult<()> {
        self.queue_email(None, email).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.due_emails"))]
    async fn due_emails(&self, limit: i64) -> RepoResult<Vec<QueuedEmail>> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            sqlx::query_as(DUE_EMAILS)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.remove_email"))]
    async fn remove_email(&self, id: i64) -> RepoResult<()> {
        on_pool!(self.db, |pool| {
            sqlx::query(DELETE_EMAIL).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.retry_email"))]
    async fn retry_email(&self, id: i64, next_attempt_at: i64) -> RepoResult<()> {
        on_pool!(self.db, |pool| {
            sqlx::query(RETRY_EMAIL)
                .bind(id)
                .bind(next_attempt_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.delete_expired"))]
    async fn delete_expired(&self, table: Expiring, before: i64, limit: i64) -> RepoResult<u64> {
        let sql = delete_expired_sql(&self.db, table);
        self.db.delete_batch(sql, before, limit).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.delete_user_data"))]
    async fn delete_user_data(&self, user_id: i64, keep_kinds: &[i32]) -> RepoResult<()> {
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            for sql in DELETE_USER_ROWS {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            let queued: Vec<UserEmail> = sqlx::query_as(USER_EMAILS)
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
            for email in queued.iter().filter(|email| !keep_kinds.contains(&email.kind)) {
                sqlx::query(DELETE_EMAIL).bind(email.id).execute(&mut *tx).await?;
            }
            tx.commit().await
        })
    }
}
