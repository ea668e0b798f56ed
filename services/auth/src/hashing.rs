//! argon2id password hashing on the blocking pool, behind a semaphore sized to the cores:
//! a login flood queues here instead of exhausting memory (19 MiB per hash) or stalling the
//! async workers that serve every other request.
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version};
use astro_common::config::HashingSettings;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed")]
    Join(#[from] tokio::task::JoinError),
}

pub struct PasswordHasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified when the email is unknown so that such a login
    /// costs the same time as a real one.
    dummy_hash: String,
    waiting: AtomicUsize,
}

impl PasswordHasher {
    pub fn new(settings: &HashingSettings) -> Result<Arc<Self>, HashingError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(HashingError::Params)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = argon
            .hash_password(uuid::Uuid::new_v4().as_bytes())
            .map_err(|e| HashingError::Hash(e.to_string()))?
            .to_string();
        Ok(Arc::new(Self {
            argon,
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            dummy_hash,
            waiting: AtomicUsize::new(0),
        }))
    }

    /// A PHC string for `password` with a fresh salt.
    pub async fn hash(self: &Arc<Self>, password: SecretString) -> Result<String, HashingError> {
        self.run(move |argon| {
            argon
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| HashingError::Hash(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time on the
    /// dummy hash and answers false.
    pub async fn verify(
        self: &Arc<Self>,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, HashingError> {
        let this = Arc::clone(self);
        self.run(move |argon| {
            let (hash, real) = match &stored {
                Some(hash) => (hash.as_str(), true),
                None => (this.dummy_hash.as_str(), false),
            };
            let Ok(parsed) = PasswordHash::new(hash) else {
                return false;
            };
            // Verified before `real` is looked at: a short-circuit would skip the dummy hash.
            let verified = argon
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok();
            verified && real
        })
        .await
    }

    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let depth = self.waiting.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("password_hash_queue_depth").set(depth as f64);
        let _leave = DecrementOnDrop(&self.waiting);
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let this = Arc::clone(self);
        Ok(tokio::task::spawn_blocking(move || work(&this.argon)).await?)
    }
}

struct DecrementOnDrop<'a>(&'a AtomicUsize);

impl Drop for DecrementOnDrop<'_> {
    fn drop(&mut self) {
        let depth = self.0.fetch_sub(1, Ordering::Relaxed) - 1;
        metrics::gauge!("password_hash_queue_depth").set(depth as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Arc<PasswordHasher> {
        PasswordHasher::new(&HashingSettings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            concurrency: 2,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = hasher();
        let hash = hasher.hash("TestPassword123!".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("TestPassword123!".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
    }
}
