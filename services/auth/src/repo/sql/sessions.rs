//! Refresh-token rotation and the sessions a user sees: the statements behind
//! [`AuthRepo`](crate::repo::AuthRepo)'s session methods, apart so `sql.rs` stays readable.
use super::statements::*;
use crate::repo::{NewRefreshToken, RepoResult, Rotation, SessionRecord, Successor};
use astro_platform::time::now_micros;
use astro_store::{Db, on_pool};

pub(super) async fn rotate(
    db: &Db,
    jti: &str,
    next: NewRefreshToken<'_>,
    grace_micros: i64,
) -> RepoResult<Rotation> {
    let now = now_micros();
    let outcome: Result<Option<String>, Successor> = on_pool!(*db, |pool| {
        let mut tx = pool.begin().await?;
        let consumed: Option<String> = sqlx::query_scalar(CONSUME_REFRESH)
            .bind(jti)
            .bind(now)
            .bind(next.jti)
            .bind(next.issued_at)
            .bind(next.expires_at / 1_000_000)
            .fetch_optional(&mut *tx)
            .await?;
        if consumed.is_some() {
            sqlx::query(EXTEND_SESSION)
                .bind(next.session_id)
                .bind(next.expires_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_REFRESH)
                .bind(next.jti)
                .bind(next.session_id)
                .bind(next.user_id)
                .bind(next.expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Rotated);
        }
        // Lost the swap: a concurrent winner has committed by now (the update waited for
        // its row lock, or SQLite's single writer), so its successor is visible.
        let successor: Option<Successor> = if grace_micros > 0 {
            sqlx::query_as(GRACE_SUCCESSOR)
                .bind(jti)
                .bind(now - grace_micros)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
        } else {
            None
        };
        let used = match successor {
            Some(successor) => Err(successor),
            None => Ok(sqlx::query_scalar(USED_REFRESH_SESSION)
                .bind(jti)
                .fetch_optional(&mut *tx)
                .await?),
        };
        tx.commit().await?;
        used
    });
    Ok(match outcome {
        Err(successor) => Rotation::Grace { successor },
        Ok(Some(session_id)) => Rotation::Reused { session_id },
        Ok(None) => Rotation::Rejected,
    })
}

pub(super) async fn touch(db: &Db, id: &str, ip: &str, user_agent: &str) -> RepoResult<()> {
    let now = now_micros();
    on_pool!(*db, |pool| {
        sqlx::query(TOUCH_SESSION)
            .bind(id)
            .bind(now)
            .bind(ip)
            .bind(user_agent)
            .execute(pool)
            .await
            .map(drop)
    })
}

pub(super) async fn list(db: &Db, user_id: i64) -> RepoResult<Vec<SessionRecord>> {
    let now = now_micros();
    on_pool!(*db, |pool| {
        sqlx::query_as(LIST_SESSIONS)
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await
    })
}

pub(super) async fn revoke_own(db: &Db, user_id: i64, id: &str) -> RepoResult<bool> {
    let now = now_micros();
    on_pool!(*db, |pool| {
        let mut tx = pool.begin().await?;
        let revoked: Option<String> = sqlx::query_scalar(REVOKE_OWN_SESSION)
            .bind(user_id)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        if revoked.is_some() {
            sqlx::query(USE_SESSION_REFRESH)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(revoked.is_some())
    })
}

pub(super) async fn renew(db: &Db, next: NewRefreshToken<'_>, aal: i32, auth_time: i64) -> RepoResult<bool> {
    let now = now_micros();
    on_pool!(*db, |pool| {
        let mut tx = pool.begin().await?;
        let live = sqlx::query(REAUTHENTICATE_SESSION)
            .bind(next.session_id)
            .bind(aal)
            .bind(auth_time)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !live {
            return Ok(false);
        }
        sqlx::query(USE_SESSION_REFRESH)
            .bind(next.session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(EXTEND_SESSION)
            .bind(next.session_id)
            .bind(next.expires_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(INSERT_REFRESH)
            .bind(next.jti)
            .bind(next.session_id)
            .bind(next.user_id)
            .bind(next.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    })
}
