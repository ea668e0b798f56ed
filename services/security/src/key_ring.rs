//! A process's copy of the signing keys, kept fresh: re-read on an interval (so a rotated key
//! is seen within seconds) and on a token whose `kid` it does not know, at most once per
//! [`KeyRing::new`]'s `refetch_gap`, so tokens with made-up `kid`s cannot make it fetch in a
//! loop.
use crate::signing_keys::{KeySet, KeySource, KeySourceError, PublicKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::{sync::Mutex, time::Instant};

/// The keys as last read, ready to use.
#[derive(Default)]
struct Loaded {
    verifying: HashMap<String, DecodingKey>,
    public: Vec<PublicKey>,
    /// In creation order, with the second they start signing.
    signing: Vec<(String, i64, EncodingKey)>,
}

impl Loaded {
    fn from(set: KeySet) -> Loaded {
        let verifying = set
            .public
            .iter()
            .map(|key| (key.kid.clone(), DecodingKey::from_ed_der(&key.key)))
            .collect();
        let signing = set
            .private
            .iter()
            .map(|key| {
                let encoding = EncodingKey::from_ed_der(&key.pkcs8_der());
                (key.kid.clone(), key.not_before, encoding)
            })
            .collect();
        Loaded {
            verifying,
            public: set.public,
            signing,
        }
    }
}

pub struct KeyRing {
    source: Arc<dyn KeySource>,
    loaded: RwLock<Arc<Loaded>>,
    /// Whether the keys have been read at least once.
    read_once: AtomicBool,
    /// When the last fetch for an unknown `kid` started; held while fetching, so concurrent
    /// misses fetch once. The periodic refresh is paced by its interval instead.
    last_fetch: Mutex<Option<Instant>>,
    refetch_gap: Duration,
}

impl KeyRing {
    /// An empty ring over `source`; see [`KeyRing::refresh`] and [`KeyRing::keep_fresh`].
    pub fn new(source: Arc<dyn KeySource>, refetch_gap: Duration) -> Arc<KeyRing> {
        Arc::new(KeyRing {
            source,
            loaded: RwLock::default(),
            read_once: AtomicBool::new(false),
            last_fetch: Mutex::new(None),
            refetch_gap,
        })
    }

    /// Reads the keys now.
    pub async fn refresh(&self) -> Result<(), KeySourceError> {
        let set = self.source.fetch().await?;
        let loaded = Arc::new(Loaded::from(set));
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = loaded;
        self.read_once.store(true, Ordering::Release);
        Ok(())
    }

    /// Refreshes every `every` for as long as the ring is in use, and at once unless the keys
    /// were read already.
    pub fn keep_fresh(self: &Arc<Self>, every: Duration) {
        let ring: Weak<KeyRing> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut first = true;
            loop {
                if !first {
                    tokio::time::sleep(every).await;
                }
                let Some(ring) = ring.upgrade() else { break };
                if std::mem::take(&mut first) && ring.read_once.load(Ordering::Acquire) {
                    continue;
                }
                if let Err(err) = ring.refresh().await {
                    tracing::warn!(error = %err, "signing keys not refreshed");
                }
            }
        });
    }

    fn snapshot(&self) -> Arc<Loaded> {
        Arc::clone(&self.loaded.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The public keys as last read; read first if they never were (a process just started
    /// answers with its keys, not with an empty set).
    pub async fn public_keys(&self) -> Result<Vec<PublicKey>, KeySourceError> {
        if !self.read_once.load(Ordering::Acquire) {
            let _one_at_a_time = self.last_fetch.lock().await;
            if !self.read_once.load(Ordering::Acquire) {
                self.refresh().await?;
            }
        }
        Ok(self.snapshot().public.clone())
    }

    /// The key to verify a token with `kid`, as last read.
    pub(crate) fn known_verifying_key(&self, kid: &str) -> Option<DecodingKey> {
        self.snapshot().verifying.get(kid).cloned()
    }

    /// The key to verify a token with `kid`; unknown, the keys are read again first unless
    /// they were within the refetch gap.
    pub(crate) async fn verifying_key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.snapshot().verifying.get(kid) {
            return Some(key.clone());
        }
        {
            let mut last = self.last_fetch.lock().await;
            // Someone else may have fetched while this waited for the lock.
            if let Some(key) = self.snapshot().verifying.get(kid) {
                return Some(key.clone());
            }
            if last.is_some_and(|at| at.elapsed() < self.refetch_gap) {
                return None;
            }
            *last = Some(Instant::now());
            if let Err(err) = self.refresh().await {
                tracing::warn!(error = %err, "signing keys not fetched for an unknown kid");
                return None;
            }
        }
        self.snapshot().verifying.get(kid).cloned()
    }

    /// The key to sign with at `now`: of the private keys, the newest whose time has come (so
    /// a next key published ahead is not used early); `None` without private keys.
    pub(crate) fn signing_key(&self, now: i64) -> Option<(String, EncodingKey)> {
        let loaded = self.snapshot();
        let chosen = loaded
            .signing
            .iter()
            .rev()
            .find(|(_, not_before, _)| *not_before <= now)
            // Clocks apart: the first key rather than none.
            .or_else(|| loaded.signing.first())?;
        Some((chosen.0.clone(), chosen.2.clone()))
    }
}
