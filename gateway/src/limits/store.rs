//! Counters behind the rate limits: in Redis when configured (one atomic script per hit, so
//! every gateway replica shares the same windows), else in process memory.
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, thiserror::Error)]
#[error("rate-limit store unavailable: {0}")]
pub struct StoreUnavailable(String);

/// A fixed-window counter after one hit.
#[derive(Clone, Copy, Debug)]
pub struct Count {
    pub hits: u64,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Counts one hit on `key` in a window of `window` that starts at its first hit.
    async fn hit(&self, key: &str, window: Duration) -> Result<Count, StoreUnavailable>;
    /// The current count of `key` without counting a hit.
    async fn peek(&self, key: &str) -> Result<Count, StoreUnavailable>;
    /// Remembers `key` for `ttl`.
    async fn mark(&self, key: &str, ttl: Duration) -> Result<(), StoreUnavailable>;
    async fn is_marked(&self, key: &str) -> Result<bool, StoreUnavailable>;
    /// Whether the store can be reached (readiness).
    async fn ready(&self) -> bool {
        true
    }
}

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, (u64, Instant)>>,
}

impl MemoryStore {
    fn live(entries: &mut HashMap<String, (u64, Instant)>, key: &str) -> Option<(u64, Instant)> {
        let now = Instant::now();
        match entries.get(key) {
            Some(&(hits, expires)) if expires > now => Some((hits, expires)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn sweep(entries: &mut HashMap<String, (u64, Instant)>) {
        if entries.len() > 100_000 {
            let now = Instant::now();
            entries.retain(|_, (_, expires)| *expires > now);
        }
    }
}

fn reset_secs(expires: Instant) -> u64 {
    expires
        .saturating_duration_since(Instant::now())
        .as_secs_f64()
        .ceil() as u64
}

#[async_trait]
impl LimitStore for MemoryStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<Count, StoreUnavailable> {
        let mut entries = self.entries.lock().expect("limit lock");
        Self::sweep(&mut entries);
        let (hits, expires) = Self::live(&mut entries, key).unwrap_or((0, Instant::now() + window));
        entries.insert(key.to_owned(), (hits + 1, expires));
        Ok(Count {
            hits: hits + 1,
            reset_secs: reset_secs(expires),
        })
    }

    async fn peek(&self, key: &str) -> Result<Count, StoreUnavailable> {
        let mut entries = self.entries.lock().expect("limit lock");
        Ok(match Self::live(&mut entries, key) {
            Some((hits, expires)) => Count {
                hits,
                reset_secs: reset_secs(expires),
            },
            None => Count {
                hits: 0,
                reset_secs: 0,
            },
        })
    }

    async fn mark(&self, key: &str, ttl: Duration) -> Result<(), StoreUnavailable> {
        let mut entries = self.entries.lock().expect("limit lock");
        entries.insert(key.to_owned(), (1, Instant::now() + ttl));
        Ok(())
    }

    async fn is_marked(&self, key: &str) -> Result<bool, StoreUnavailable> {
        let mut entries = self.entries.lock().expect("limit lock");
        Ok(Self::live(&mut entries, key).is_some())
    }
}

pub struct RedisStore {
    conn: ConnectionManager,
    hit_script: redis::Script,
    prefix: String,
}

impl RedisStore {
    pub fn new(conn: ConnectionManager, prefix: String) -> Self {
        // INCR and the window's expiry in one atomic step; returns the count and the ms left.
        let hit_script = redis::Script::new(
            "local c = redis.call('INCR', KEYS[1]) \
             if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
             return {c, redis.call('PTTL', KEYS[1])}",
        );
        Self {
            conn,
            hit_script,
            prefix,
        }
    }
}

impl RedisStore {
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn unavailable(err: redis::RedisError) -> StoreUnavailable {
    StoreUnavailable(err.to_string())
}

fn count(hits: i64, ttl_ms: i64) -> Count {
    Count {
        hits: hits.max(0) as u64,
        reset_secs: (ttl_ms.max(0) as u64).div_ceil(1000),
    }
}

#[async_trait]
impl LimitStore for RedisStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<Count, StoreUnavailable> {
        let mut conn = self.conn.clone();
        let (hits, ttl): (i64, i64) = self
            .hit_script
            .key(self.key(key))
            .arg(window.as_millis() as u64)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(count(hits, ttl))
    }

    async fn peek(&self, key: &str) -> Result<Count, StoreUnavailable> {
        let mut conn = self.conn.clone();
        let (hits, ttl): (Option<i64>, i64) = redis::pipe()
            .cmd("GET")
            .arg(self.key(key))
            .cmd("PTTL")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(count(hits.unwrap_or(0), ttl))
    }

    async fn mark(&self, key: &str, ttl: Duration) -> Result<(), StoreUnavailable> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(1)
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn is_marked(&self, key: &str) -> Result<bool, StoreUnavailable> {
        let mut conn = self.conn.clone();
        redis::cmd("EXISTS")
            .arg(self.key(key))
            .query_async::<bool>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn ready(&self) -> bool {
        astro_platform::redis_conn::ping(&self.conn).await
    }
}
