//! argon2id password hashing on a fixed set of threads, each owning one argon2 memory area
//! that it reuses for every hash. Memory is exactly `threads × m` however long a login flood
//! lasts: allocating a fresh 19 MiB area per hash (what `Argon2::hash_password` does) on the
//! blocking pool's many threads let glibc keep them all in per-thread arenas (its dynamic mmap
//! threshold rises past 19 MiB after the first free), and the process grew past 2 GB. The
//! async workers never hash: a request waits for its answer on a oneshot channel, and a flood
//! queues here (counted by `password_hash_queue_depth`).
mod scheme;

pub use scheme::{Scheme, Unsupported};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use astro_platform::config::HashingSettings;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
    mpsc,
};
use tokio::sync::oneshot;

/// The hash length this service writes (argon2's default).
const OUTPUT_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("the hashing threads have stopped")]
    Stopped,
    #[error("starting a hashing thread: {0}")]
    Spawn(std::io::Error),
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    /// Requests waiting for or holding a hashing thread.
    waiting: AtomicUsize,
}

impl PasswordHasher {
    /// Starts `settings.concurrency` hashing threads. They stop when the hasher is dropped.
    pub fn new(settings: &HashingSettings) -> Result<Arc<Self>, HashingError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(HashingError::Params)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..settings.concurrency.max(1) {
            let queue = Arc::clone(&queue);
            let mut worker = Worker::new(params.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job, never while hashing.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        // The queue closes when the hasher is dropped.
                        let Ok(job) = job else { return };
                        // A panicking job loses its answer (the caller sees `Stopped`), not the
                        // thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut worker)));
                    }
                })
                .map_err(HashingError::Spawn)?;
        }
        Ok(Arc::new(Self {
            jobs,
            waiting: AtomicUsize::new(0),
        }))
    }

    /// A PHC string for `password` with a fresh salt.
    pub async fn hash(&self, password: SecretString) -> Result<String, HashingError> {
        self.run(move |worker| worker.hash(password.expose_secret().as_bytes()))
            .await?
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time hashing
    /// and answers false, so an unknown email costs what a known one does.
    pub async fn verify(&self, password: SecretString, stored: Option<String>) -> Result<bool, HashingError> {
        Ok(self.check(password, stored, false).await?.matches)
    }

    /// [`verify`](Self::verify), and when the password matched a hash of another kind or cost
    /// ([`Scheme::is_outdated`]: bcrypt from the original, say), its argon2id hash at today's
    /// cost, made in the same turn on the pool, for the caller to store.
    pub async fn verify_upgrading(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<Verified, HashingError> {
        self.check(password, stored, true).await
    }

    /// One check on the pool; with `upgrade`, an outdated hash's replacement too (only a caller
    /// that stores it asks: it costs a second hash).
    async fn check(
        &self,
        password: SecretString,
        stored: Option<String>,
        upgrade: bool,
    ) -> Result<Verified, HashingError> {
        self.run(move |worker| {
            let password = password.expose_secret().as_bytes();
            let Some(stored) = stored else {
                let _ = worker.hash(password);
                return Verified::default();
            };
            let (matches, outdated) = worker.verify(password, &stored);
            let upgraded = (upgrade && matches && outdated)
                .then(|| worker.hash(password).ok())
                .flatten();
            Verified { matches, upgraded }
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Worker) -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let depth = self.waiting.fetch_add(1, Ordering::Relaxed) + 1;
        metrics::gauge!("password_hash_queue_depth").set(depth as f64);
        let _leave = DecrementOnDrop(&self.waiting);
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |worker| {
            // The caller gave up (its client went away): skip the work.
            if !answer.is_closed() {
                let _ = answer.send(work(worker));
            }
        });
        self.jobs.send(job).map_err(|_| HashingError::Stopped)?;
        answered.await.map_err(|_| HashingError::Stopped)
    }
}

/// What a password check found.
#[derive(Debug, Default)]
pub struct Verified {
    pub matches: bool,
    /// The password's hash at today's cost, when the stored one was outdated.
    pub upgraded: Option<String>,
}

/// One hashing thread's state: the configured parameters and the memory area they need,
/// allocated on the first hash and kept.
struct Worker {
    params: Params,
    memory: Vec<Block>,
}

impl Worker {
    fn new(params: Params) -> Self {
        Worker {
            params,
            memory: Vec::new(),
        }
    }

    fn hash(&mut self, password: &[u8]) -> Result<String, HashingError> {
        let failed = |e: &dyn std::fmt::Display| HashingError::Hash(e.to_string());
        let salt = argon2::password_hash::generate_salt();
        let mut out = [0u8; OUTPUT_LEN];
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        let blocks = self.params.block_count();
        argon
            .hash_password_into_with_memory(password, &salt, &mut out, self.memory(blocks))
            .map_err(|e| failed(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| failed(&e))?,
            salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
            hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Verifies against a stored hash of any [`Scheme`]; answers whether it matched and
    /// whether the stored hash is outdated. One that is not a scheme (or beyond its bounds)
    /// matches nothing.
    fn verify(&mut self, password: &[u8], stored: &str) -> (bool, bool) {
        let Ok(scheme) = Scheme::of(stored) else {
            return (false, false);
        };
        let outdated = scheme.is_outdated(&self.params);
        let matches = match scheme {
            Scheme::Bcrypt => scheme::bcrypt_matches(password, stored),
            Scheme::Argon2 {
                phc,
                algorithm,
                version,
                params,
            } => self.argon2_matches(password, &phc, algorithm, version, params),
        };
        (matches, outdated)
    }

    fn argon2_matches(
        &mut self,
        password: &[u8],
        phc: &PasswordHash,
        algorithm: Algorithm,
        version: Version,
        params: Params,
    ) -> bool {
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return false;
        };
        let blocks = params.block_count();
        let mut out = vec![0u8; expected.len()];
        let argon = Argon2::new(algorithm, version, params);
        let computed = if blocks <= self.params.block_count() {
            argon.hash_password_into_with_memory(password, salt, &mut out, self.memory(blocks))
        } else {
            // A costlier hash (within the scheme's bounds): its own memory, freed after.
            argon.hash_password_into(password, salt, &mut out)
        };
        // `Output`'s equality is constant-time.
        computed.is_ok() && Output::new(&out).is_ok_and(|out| &out == expected)
    }

    /// The first `blocks` blocks of this thread's memory, grown (once) to fit.
    fn memory(&mut self, blocks: usize) -> &mut [Block] {
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::new());
        }
        &mut self.memory[..blocks]
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
    use argon2::PasswordHasher as _;

    fn settings(memory_kib: u32) -> HashingSettings {
        HashingSettings {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            concurrency: 2,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = PasswordHasher::new(&settings(1024)).unwrap();
        let hash = hasher.hash("TestPassword123!".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(
            hasher
                .verify("TestPassword123!".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        assert!(
            !hasher
                .verify("anything".into(), Some("not a hash".into()))
                .await
                .unwrap()
        );
    }

    /// Hashes written by the argon2 crate itself (another variant, a higher or lower cost)
    /// verify, and ours verify with it: the format is the standard one.
    #[tokio::test]
    async fn hashes_of_other_costs_and_variants_verify_both_ways() {
        let hasher = PasswordHasher::new(&settings(1024)).unwrap();
        for (algorithm, memory_kib) in [(Algorithm::Argon2id, 2048), (Algorithm::Argon2i, 512)] {
            let params = Params::new(memory_kib, 2, 1, None).unwrap();
            let argon = Argon2::new(algorithm, Version::V0x13, params);
            let theirs = argon.hash_password(b"Orbit-Lantern-5821!").unwrap().to_string();
            assert!(
                hasher
                    .verify("Orbit-Lantern-5821!".into(), Some(theirs.clone()))
                    .await
                    .unwrap()
            );
            assert!(
                !hasher
                    .verify("orbit-lantern-5821!".into(), Some(theirs))
                    .await
                    .unwrap()
            );
        }
        let ours = hasher.hash("Orbit-Lantern-5821!".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let verifier = Argon2::default();
        use argon2::PasswordVerifier as _;
        assert!(verifier.verify_password(b"Orbit-Lantern-5821!", &parsed).is_ok());
    }

    #[tokio::test]
    async fn absurd_stored_costs_are_not_attempted() {
        let hasher = PasswordHasher::new(&settings(1024)).unwrap();
        let absurd = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$\
                      AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!hasher.verify("x".into(), Some(absurd.into())).await.unwrap());
    }
}
