//! Where the access-token signing keys are stored (`JWT_ALGORITHM=EdDSA`): a trait of their
//! own, beside [`AuthRepo`](super::AuthRepo), implemented by the same [`super::SqlAuthRepo`].
use super::RepoResult;
use async_trait::async_trait;

/// A stored key, its private part sealed.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredKey {
    pub kid: String,
    /// 1 for the first key, one more per rotation.
    pub generation: i64,
    pub algorithm: String,
    /// The raw public key, base64url (the JWK's `x`).
    pub public_key: String,
    /// The 32-byte seed, sealed with `DATA_ENCRYPTION_KEY` for this `kid`.
    pub sealed_private_key: String,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// When it starts signing, seconds since the epoch.
    pub not_before: i64,
}

#[async_trait]
pub trait SigningKeyRepo: Send + Sync {
    /// Stores `key` unless its generation exists already (another replica or rotation won the
    /// race); whether it was stored.
    async fn insert_signing_key(&self, key: &StoredKey) -> RepoResult<bool>;
    /// Every stored key, by generation.
    async fn signing_keys(&self) -> RepoResult<Vec<StoredKey>>;
    /// Removes the keys named (retired: no live token carries them).
    async fn delete_signing_keys(&self, kids: &[String]) -> RepoResult<()>;
}
