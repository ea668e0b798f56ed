//! [`MfaRepo`] on either database. The statements are one text for both (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`), like the rest of the auth repository.
use super::SqlAuthRepo;
use crate::repo::{
    RepoResult,
    mfa::{MfaRepo, TotpFactor},
};
use astro_platform::time::now_micros;
use astro_store::on_pool;
use async_trait::async_trait;

/// A new pending factor, or the user's pending one replaced; an active one stays untouched
/// (no row affected).
const PUT_PENDING: &str = "INSERT INTO mfa_factors (id, user_id, secret, last_step, created_at) \
     VALUES ($1, $2, $3, 0, $4) \
     ON CONFLICT (user_id) DO UPDATE SET id = $1, secret = $3, last_step = 0, created_at = $4 \
     WHERE mfa_factors.activated_at IS NULL";
const FACTOR: &str =
    "SELECT id, user_id, secret, last_step, activated_at FROM mfa_factors WHERE user_id = $1";
/// The compare-and-swap of a time step: only forward, only on an active factor.
const CONSUME_STEP: &str = "UPDATE mfa_factors SET last_step = $2 \
     WHERE id = $1 AND last_step < $2 AND activated_at IS NOT NULL";
const ACTIVATE: &str = "UPDATE mfa_factors SET activated_at = $3, last_step = $2 \
     WHERE id = $1 AND activated_at IS NULL AND last_step < $2 RETURNING user_id";
const DELETE_CODES: &str = "DELETE FROM mfa_recovery_codes WHERE user_id = $1";
const INSERT_CODE: &str =
    "INSERT INTO mfa_recovery_codes (code_hash, user_id, created_at) VALUES ($1, $2, $3)";
const CONSUME_CODE: &str = "UPDATE mfa_recovery_codes SET used_at = $3 \
     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
const DELETE_FACTOR: &str = "DELETE FROM mfa_factors WHERE user_id = $1 RETURNING activated_at";
const DELETE_CHALLENGES: &str = "DELETE FROM mfa_challenges WHERE user_id = $1";
const DROP_EXPIRED_CHALLENGES: &str = "DELETE FROM mfa_challenges WHERE expires_at < $1";
const INSERT_CHALLENGE: &str = "INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at) \
     VALUES ($1, $2, $3, $4)";
const LIVE_CHALLENGE: &str = "SELECT user_id FROM mfa_challenges \
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3";
const CHALLENGE_FAILED: &str = "UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = $1";
const CONSUME_CHALLENGE: &str = "UPDATE mfa_challenges SET used_at = $2 \
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3";

/// `SELECT user_id … WHERE user_id IN ($1, …, $n)` for `n` ids.
fn enabled_among(n: usize) -> String {
    let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!(
        "SELECT user_id FROM mfa_factors WHERE activated_at IS NOT NULL AND user_id IN ({})",
        placeholders.join(", ")
    )
}

#[async_trait]
impl MfaRepo for SqlAuthRepo {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.put_pending_factor"))]
    async fn put_pending_factor(&self, user_id: i64, id: &str, sealed_secret: &str) -> RepoResult<bool> {
        let now = now_micros();
        let affected = on_pool!(self.db, |pool| {
            sqlx::query(PUT_PENDING)
                .bind(id)
                .bind(user_id)
                .bind(sealed_secret)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.factor"))]
    async fn factor(&self, user_id: i64) -> RepoResult<Option<TotpFactor>> {
        on_pool!(self.db, |pool| {
            sqlx::query_as(FACTOR).bind(user_id).fetch_optional(pool).await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.consume_step"))]
    async fn consume_step(&self, factor_id: &str, step: i64) -> RepoResult<bool> {
        let affected = on_pool!(self.db, |pool| {
            sqlx::query(CONSUME_STEP)
                .bind(factor_id)
                .bind(step)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.activate_factor"))]
    async fn activate_factor(&self, factor_id: &str, step: i64, code_hashes: &[String]) -> RepoResult<bool> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            let user_id: Option<i64> = sqlx::query_scalar(ACTIVATE)
                .bind(factor_id)
                .bind(step)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user_id) = user_id else {
                return Ok(false);
            };
            sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
            for hash in code_hashes {
                sqlx::query(INSERT_CODE)
                    .bind(hash)
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.replace_recovery_codes"))]
    async fn replace_recovery_codes(&self, user_id: i64, code_hashes: &[String]) -> RepoResult<()> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
            for hash in code_hashes {
                sqlx::query(INSERT_CODE)
                    .bind(hash)
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.consume_recovery_code"))]
    async fn consume_recovery_code(&self, user_id: i64, code_hash: &str) -> RepoResult<bool> {
        let now = now_micros();
        let affected = on_pool!(self.db, |pool| {
            sqlx::query(CONSUME_CODE)
                .bind(user_id)
                .bind(code_hash)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.remove_mfa"))]
    async fn remove_mfa(&self, user_id: i64) -> RepoResult<bool> {
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            let removed: Option<Option<i64>> = sqlx::query_scalar(DELETE_FACTOR)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(DELETE_CHALLENGES)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(matches!(removed, Some(Some(_))))
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.mfa_enabled"))]
    async fn mfa_enabled(&self, user_ids: &[i64]) -> RepoResult<Vec<i64>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = enabled_among(user_ids.len());
        on_pool!(self.db, |pool| {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()));
            for id in user_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.create_challenge"))]
    async fn create_challenge(&self, token_hash: &str, user_id: i64, expires_at: i64) -> RepoResult<()> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(DROP_EXPIRED_CHALLENGES)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_CHALLENGE)
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.live_challenge"))]
    async fn live_challenge(&self, token_hash: &str, max_failures: i32) -> RepoResult<Option<i64>> {
        let now = now_micros();
        on_pool!(self.db, |pool| {
            sqlx::query_scalar(LIVE_CHALLENGE)
                .bind(token_hash)
                .bind(now)
                .bind(max_failures)
                .fetch_optional(pool)
                .await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.challenge_failed"))]
    async fn challenge_failed(&self, token_hash: &str) -> RepoResult<()> {
        on_pool!(self.db, |pool| {
            sqlx::query(CHALLENGE_FAILED)
                .bind(token_hash)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.consume_challenge"))]
    async fn consume_challenge(&self, token_hash: &str, max_failures: i32) -> RepoResult<bool> {
        let now = now_micros();
        let affected = on_pool!(self.db, |pool| {
            sqlx::query(CONSUME_CHALLENGE)
                .bind(token_hash)
                .bind(now)
                .bind(max_failures)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected == 1)
    }
}
