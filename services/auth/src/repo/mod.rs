//! Storage of sessions, refresh tokens, one-time tokens and the email outbox, behind a trait
//! that [`SqlAuthRepo`] implements on both databases.
pub mod mfa;
pub mod signing_keys;
mod sql;

use async_trait::async_trait;
pub use sql::SqlAuthRepo;
use std::sync::Arc;

pub type RepoResult<T> = Result<T, sqlx::Error>;

/// What a one-time token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// How the user authenticated: assurance level and when (seconds).
    pub aal: i32,
    pub auth_time: i64,
}

pub struct NewRefreshToken<'a> {
    pub jti: &'a str,
    pub session_id: &'a str,
    pub user_id: i64,
    /// µs since the epoch (the token's `exp` in seconds × 10⁶).
    pub expires_at: i64,
    /// The token's `iat`, seconds: with `jti` and `exp`, what re-issues it byte for byte.
    pub issued_at: i64,
}

/// A rotated token's successor, enough to issue it again unchanged.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Successor {
    #[sqlx(rename = "successor_jti")]
    pub jti: String,
    /// Seconds.
    #[sqlx(rename = "successor_iat")]
    pub iat: i64,
    /// Seconds.
    #[sqlx(rename = "successor_exp")]
    pub exp: i64,
}

/// An email to hand to the notification service, written in the same transaction as the
/// state change that causes it.
pub struct OutboxEmail {
    pub idempotency_key: String,
    pub user_id: i64,
    /// `notification.v1.EmailKind` value.
    pub kind: i32,
    pub recipient: String,
    pub name: String,
    pub token: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct QueuedEmail {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: i32,
    pub recipient: String,
    pub name: String,
    pub token: String,
    pub attempts: i32,
}

/// The tables whose rows expire, in the order the janitor empties them: refresh tokens before
/// the sessions they belong to (a session expires with its newest token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiring {
    RefreshTokens,
    Sessions,
    OneTimeTokens,
}

impl Expiring {
    pub const ALL: [Expiring; 3] = [
        Expiring::RefreshTokens,
        Expiring::Sessions,
        Expiring::OneTimeTokens,
    ];

    /// The table's name (also the metric's `table` label).
    pub fn table(self) -> &'static str {
        match self {
            Expiring::RefreshTokens => "refresh_tokens",
            Expiring::Sessions => "sessions",
            Expiring::OneTimeTokens => "one_time_tokens",
        }
    }
}

/// A live session, as its user sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: String,
    /// µs since the epoch, as every time here.
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
    /// The assurance level of the session's last authentication.
    pub aal: i32,
}

/// The result of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Consumed; the new token is stored.
    Rotated,
    /// Rotated moments ago (within the grace) and its successor is still the session's live
    /// token: not reuse (another tab, or a lost answer); answer that same successor.
    Grace { successor: Successor },
    /// Already used: the caller revokes the session.
    Reused { session_id: String },
    /// Unknown, expired, or its session was revoked.
    Rejected,
}

#[async_trait]
pub trait AuthRepo: Send + Sync {
    async fn create_session(&self, session: NewSession<'_>, refresh: NewRefreshToken<'_>) -> RepoResult<()>;
    /// Atomically consumes `jti` and stores `next` in the same session; exactly one of two
    /// concurrent presentations of one token wins, and the others, within `grace_micros` of
    /// it, get [`Rotation::Grace`] with the winner's successor.
    async fn rotate_refresh(
        &self,
        jti: &str,
        next: NewRefreshToken<'_>,
        grace_micros: i64,
    ) -> RepoResult<Rotation>;
    /// Reauthentication: `next` becomes the live refresh token of its (live) session, whose
    /// older tokens are used up, and the session records `aal` and `auth_time`; `false` when the
    /// session is no longer live.
    async fn renew_session(&self, next: NewRefreshToken<'_>, aal: i32, auth_time: i64) -> RepoResult<bool>;
    /// Revokes one session and its refresh tokens.
    async fn revoke_session(&self, session_id: &str) -> RepoResult<()>;
    /// Revokes every live session of a user but `keep`; returns the revoked session ids.
    async fn revoke_user_sessions(&self, user_id: i64, keep: Option<&str>) -> RepoResult<Vec<String>>;
    /// Records a use of session `id` (a refresh) from `ip` with `user_agent`.
    async fn touch_session(&self, id: &str, ip: &str, user_agent: &str) -> RepoResult<()>;
    /// The live sessions of `user_id`, most recently used first.
    async fn list_sessions(&self, user_id: i64) -> RepoResult<Vec<SessionRecord>>;
    /// Revokes session `id` (and its refresh tokens) if it is a live session of `user_id`;
    /// whether it was.
    async fn revoke_own_session(&self, user_id: i64, id: &str) -> RepoResult<bool>;
    /// Stores a new one-time token (by hash), invalidates the user's older ones of that
    /// purpose, and queues its email, in one transaction.
    async fn issue_one_time_token(
        &self,
        user_id: i64,
        purpose: Purpose,
        token_hash: &str,
        expires_at: i64,
        email: OutboxEmail,
    ) -> RepoResult<()>;
    /// The user a live token belongs to, without consuming it.
    async fn peek_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>>;
    /// Consumes a live token; `None` if unknown, used, expired or superseded.
    async fn consume_one_time_token(&self, token_hash: &str, purpose: Purpose) -> RepoResult<Option<i64>>;
    async fn enqueue_email(&self, email: OutboxEmail) -> RepoResult<()>;
    async fn due_emails(&self, limit: i64) -> RepoResult<Vec<QueuedEmail>>;
    async fn remove_email(&self, id: i64) -> RepoResult<()>;
    async fn retry_email(&self, id: i64, next_attempt_at: i64) -> RepoResult<()>;
    /// Deletes at most `limit` rows of `table` that expired before `before` (µs); answers how
    /// many. Concurrent callers delete disjoint rows.
    async fn delete_expired(&self, table: Expiring, before: i64, limit: i64) -> RepoResult<u64>;
    /// Removes everything of a deleted user; queued emails of the kinds in `keep_kinds` stay.
    async fn delete_user_data(&self, user_id: i64, keep_kinds: &[i32]) -> RepoResult<()>;
}

/// The repository for the connected database.
pub fn for_db(db: &astro_store::Db) -> Arc<dyn AuthRepo> {
    Arc::new(SqlAuthRepo::new(db.clone()))
}

/// The second-factor repository for the connected database.
pub fn mfa_for_db(db: &astro_store::Db) -> Arc<dyn mfa::MfaRepo> {
    Arc::new(SqlAuthRepo::new(db.clone()))
}

/// The signing keys in the connected database.
pub fn signing_keys_for_db(db: &astro_store::Db) -> Arc<dyn signing_keys::SigningKeyRepo> {
    Arc::new(SqlAuthRepo::new(db.clone()))
}
