//! Which tokens no longer count although their signature and `exp` are fine: logged-out
//! tokens (by `jti`), revoked sessions (by `sid`) and users revoked before an instant.
//! Written by `auth`, read by the gateway on every authenticated request and by services.
use crate::tokens::Claims;
use async_trait::async_trait;
use std::{collections::HashMap, sync::Mutex};

#[derive(Debug, thiserror::Error)]
#[error("revocation store unavailable: {0}")]
pub struct RevocationUnavailable(pub String);

#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Revokes one access token until `until` (its `exp`, Unix seconds).
    async fn revoke_token(&self, jti: &str, until: i64) -> Result<(), RevocationUnavailable>;
    /// Revokes every token of a session until `until` (the longest access-token lifetime).
    async fn revoke_session(&self, sid: &str, until: i64) -> Result<(), RevocationUnavailable>;
    /// Revokes every token of the user issued before `before` (Unix seconds, exclusive).
    async fn revoke_user_before(
        &self,
        user_id: i64,
        before: i64,
    ) -> Result<(), RevocationUnavailable>;
    async fn is_revoked(&self, claims: &Claims) -> Result<bool, RevocationUnavailable>;
}

/// The single-process store: entries live until their expiry instant.
#[derive(Default)]
pub struct MemoryRevocations {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    tokens: HashMap<String, i64>,
    sessions: HashMap<String, i64>,
    users: HashMap<i64, i64>,
    inserts_since_sweep: usize,
}

impl Entries {
    /// Drops expired entries now and then, so memory stays bounded by live tokens.
    fn sweep_if_due(&mut self) {
        self.inserts_since_sweep += 1;
        if self.inserts_since_sweep < 1024 {
            return;
        }
        self.inserts_since_sweep = 0;
        let now = crate::time::now_secs();
        self.tokens.retain(|_, until| *until >= now);
        self.sessions.retain(|_, until| *until >= now);
    }
}

#[async_trait]
impl RevocationStore for MemoryRevocations {
    async fn revoke_token(&self, jti: &str, until: i64) -> Result<(), RevocationUnavailable> {
        let mut entries = self.inner.lock().expect("revocation lock");
        entries.tokens.insert(jti.to_owned(), until);
        entries.sweep_if_due();
        Ok(())
    }

    async fn revoke_session(&self, sid: &str, until: i64) -> Result<(), RevocationUnavailable> {
        let mut entries = self.inner.lock().expect("revocation lock");
        entries.sessions.insert(sid.to_owned(), until);
        entries.sweep_if_due();
        Ok(())
    }

    async fn revoke_user_before(
        &self,
        user_id: i64,
        before: i64,
    ) -> Result<(), RevocationUnavailable> {
        let mut entries = self.inner.lock().expect("revocation lock");
        let at = entries.users.entry(user_id).or_insert(before);
        *at = (*at).max(before);
        Ok(())
    }

    async fn is_revoked(&self, claims: &Claims) -> Result<bool, RevocationUnavailable> {
        let entries = self.inner.lock().expect("revocation lock");
        let user_cutoff = claims
            .sub
            .parse::<i64>()
            .ok()
            .and_then(|id| entries.users.get(&id))
            .is_some_and(|before| claims.iat < *before);
        Ok(user_cutoff
            || entries.tokens.contains_key(&claims.jti)
            || entries.sessions.contains_key(&claims.sid))
    }
}
