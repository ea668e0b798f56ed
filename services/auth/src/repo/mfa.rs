//! Storage of second factors: TOTP factors (secrets sealed by the caller), recovery codes and
//! login challenges, by hash. Every "use once" here is one conditional write whose affected
//! rows decide, so concurrent uses cannot both win.
use super::RepoResult;
use async_trait::async_trait;

/// A user's TOTP factor, pending or active.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpFactor {
    pub id: String,
    pub user_id: i64,
    /// Sealed with the data key (`astro_security::sealing`).
    pub secret: String,
    /// The newest time step the factor accepted (0: none yet).
    pub last_step: i64,
    /// µs; `None` while pending.
    pub activated_at: Option<i64>,
}

#[async_trait]
pub trait MfaRepo: Send + Sync {
    /// Stores a pending factor for `user_id`, replacing a pending one; `false` (nothing
    /// stored) when the user's factor is already active.
    async fn put_pending_factor(&self, user_id: i64, id: &str, sealed_secret: &str) -> RepoResult<bool>;
    async fn factor(&self, user_id: i64) -> RepoResult<Option<TotpFactor>>;
    /// Moves the active factor's last accepted step forward to `step`: the compare-and-swap
    /// that makes a code single use. Whether it moved.
    async fn consume_step(&self, factor_id: &str, step: i64) -> RepoResult<bool>;
    /// Activates the pending factor (consuming `step`, the first code's) and replaces the
    /// user's recovery codes, in one transaction; `false` when it was no longer pending.
    async fn activate_factor(&self, factor_id: &str, step: i64, code_hashes: &[String]) -> RepoResult<bool>;
    /// The user's recovery codes become these; the old ones die.
    async fn replace_recovery_codes(&self, user_id: i64, code_hashes: &[String]) -> RepoResult<()>;
    /// Uses one of the user's unused recovery codes; whether it was one.
    async fn consume_recovery_code(&self, user_id: i64, code_hash: &str) -> RepoResult<bool>;
    /// Removes the user's factor, recovery codes and challenges; whether a factor was active.
    async fn remove_mfa(&self, user_id: i64) -> RepoResult<bool>;
    /// Which of `user_ids` have an active factor.
    async fn mfa_enabled(&self, user_ids: &[i64]) -> RepoResult<Vec<i64>>;
    /// Stores a login challenge (and drops expired ones).
    async fn create_challenge(&self, token_hash: &str, user_id: i64, expires_at: i64) -> RepoResult<()>;
    /// The user of a live challenge: unused, unexpired, fewer than `max_failures` wrong codes.
    async fn live_challenge(&self, token_hash: &str, max_failures: i32) -> RepoResult<Option<i64>>;
    /// Counts a wrong code against a challenge.
    async fn challenge_failed(&self, token_hash: &str) -> RepoResult<()>;
    /// Uses a live challenge; whether it was live.
    async fn consume_challenge(&self, token_hash: &str, max_failures: i32) -> RepoResult<bool>;
}
