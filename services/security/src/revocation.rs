//! Which tokens no longer count although their signature and `exp` are fine: logged-out
//! tokens (by `jti`), revoked sessions (by `sid`) and users revoked before an instant.
//! Written by `auth`, read by the gateway on every authenticated request and by services.
use crate::tokens::Claims;
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

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
    async fn revoke_user_before(&self, user_id: i64, before: i64) -> Result<(), RevocationUnavailable>;
    async fn is_revoked(&self, claims: &Claims) -> Result<bool, RevocationUnavailable>;
    /// Whether the store can be reached (readiness).
    async fn ready(&self) -> bool {
        true
    }
}

/// Redis when `REDIS_URL` is set (shared by every replica), else process memory.
pub fn from_settings(
    redis: &astro_platform::config::RedisSettings,
) -> Result<Arc<dyn RevocationStore>, redis::RedisError> {
    Ok(match &redis.url {
        Some(url) => Arc::new(RedisRevocations {
            conn: astro_platform::redis_conn::connect(url)?,
            prefix: format!("{}revoked:", redis.key_prefix),
        }),
        None => Arc::new(MemoryRevocations::default()),
    })
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
        let now = astro_platform::time::now_secs();
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

    async fn revoke_user_before(&self, user_id: i64, before: i64) -> Result<(), RevocationUnavailable> {
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

/// The shared store: one key per revoked token, session or user, expiring with what it revokes.
pub struct RedisRevocations {
    conn: ConnectionManager,
    prefix: String,
}

const USER_CUTOFF_TTL_SECS: i64 = 30 * 86_400;

impl RedisRevocations {
    async fn set_until(&self, key: String, until: i64) -> Result<(), RevocationUnavailable> {
        let ttl = (until - astro_platform::time::now_secs()).max(1) as u64;
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(key)
            .arg(1)
            .arg("EX")
            .arg(ttl)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}

fn unavailable(err: redis::RedisError) -> RevocationUnavailable {
    RevocationUnavailable(err.to_string())
}

#[async_trait]
impl RevocationStore for RedisRevocations {
    async fn revoke_token(&self, jti: &str, until: i64) -> Result<(), RevocationUnavailable> {
        self.set_until(format!("{}jti:{jti}", self.prefix), until).await
    }

    async fn revoke_session(&self, sid: &str, until: i64) -> Result<(), RevocationUnavailable> {
        self.set_until(format!("{}sid:{sid}", self.prefix), until).await
    }

    async fn revoke_user_before(&self, user_id: i64, before: i64) -> Result<(), RevocationUnavailable> {
        // Keeps the later cutoff when two revocations race.
        let script = redis::Script::new(
            "local cur = tonumber(redis.call('GET', KEYS[1]) or '0') \
             if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end return 1",
        );
        let mut conn = self.conn.clone();
        script
            .key(format!("{}user:{user_id}", self.prefix))
            .arg(before)
            .arg(USER_CUTOFF_TTL_SECS)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn is_revoked(&self, claims: &Claims) -> Result<bool, RevocationUnavailable> {
        let mut conn = self.conn.clone();
        let (jti, sid, user): (Option<i64>, Option<i64>, Option<i64>) = redis::cmd("MGET")
            .arg(format!("{}jti:{}", self.prefix, claims.jti))
            .arg(format!("{}sid:{}", self.prefix, claims.sid))
            .arg(format!("{}user:{}", self.prefix, claims.sub))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(jti.is_some() || sid.is_some() || user.is_some_and(|before| claims.iat < before))
    }

    async fn ready(&self) -> bool {
        astro_platform::redis_conn::ping(&self.conn).await
    }
}
