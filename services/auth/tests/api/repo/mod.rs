//! The repository contract, one for both databases: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set. This module holds the fixtures; the submodules the cases.
mod mfa;
mod sessions;
mod tokens_and_outbox;

use crate::helpers;
use astro_platform::time::now_micros;
use auth_service::repo::{self, AuthRepo, NewRefreshToken, NewSession, OutboxEmail, Rotation};
use std::sync::Arc;

const MINUTE: i64 = 60_000_000;
const VERIFICATION: i32 = 1;
const ACCOUNT_DELETED: i32 = 4;

/// Runs `contract` against a fresh repository on each database.
async fn on_both<F, Fut>(contract: F)
where
    F: Fn(Arc<dyn AuthRepo>) -> Fut,
    Fut: Future<Output = ()>,
{
    helpers::on_both(&auth_service::MIGRATIONS, |db| contract(repo::for_db(&db))).await;
}

fn refresh<'a>(jti: &'a str, session_id: &'a str, user_id: i64, expires_at: i64) -> NewRefreshToken<'a> {
    NewRefreshToken {
        jti,
        session_id,
        user_id,
        expires_at,
        issued_at: ISSUED_AT,
    }
}

/// Opens session `id` for `user_id` with refresh token `jti`, expiring at `expires_at`.
async fn login(repo: &dyn AuthRepo, id: &str, jti: &str, user_id: i64, expires_at: i64) {
    let session = NewSession {
        id,
        user_id,
        ip: "10.0.0.1",
        user_agent: "test",
        aal: 1,
        auth_time: ISSUED_AT,
    };
    repo.create_session(session, refresh(jti, id, user_id, expires_at))
        .await
        .unwrap();
}

/// The `iat` every test token is stored with.
const ISSUED_AT: i64 = 1_700_000_000;

/// Presents `jti` of `session`, asking for `next` in its place (valid for an hour), with no
/// grace: any second presentation is reuse.
async fn rotate(repo: &dyn AuthRepo, jti: &str, next: &str, session: &str) -> Rotation {
    rotate_within(repo, jti, next, session, 0).await
}

/// [`rotate`] with a grace of `grace_micros` for the token rotated last.
async fn rotate_within(
    repo: &dyn AuthRepo,
    jti: &str,
    next: &str,
    session: &str,
    grace_micros: i64,
) -> Rotation {
    let next = refresh(next, session, 1, now_micros() + 60 * MINUTE);
    repo.rotate_refresh(jti, next, grace_micros).await.unwrap()
}

fn email(key: &str, user_id: i64, kind: i32) -> OutboxEmail {
    OutboxEmail {
        idempotency_key: key.into(),
        user_id,
        kind,
        recipient: format!("user{user_id}@x.test"),
        name: "Ada".into(),
        token: format!("token-{key}"),
    }
}

/// The idempotency keys of the due emails, oldest first.
async fn due_keys(repo: &dyn AuthRepo) -> Vec<String> {
    let due = repo.due_emails(100).await.unwrap();
    due.into_iter().map(|e| e.idempotency_key).collect()
}
