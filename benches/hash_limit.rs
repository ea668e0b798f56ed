//! The parallel-hash limit: argon2id verifications per second of our hasher on this machine,
//! with the server's hashing settings (the same variables: `PASSWORD_HASH_*`), its queue kept
//! full, and the process CPU each verification costs. A login can go no faster than this, so
//! `benches/peer_compare.sh` compares logins/s and CPU per login with these figures, taken in
//! the same run.
//!
//! Run: `cargo bench --bench hash_limit` (`DURATION_SECS`, default 10). Prints one JSON line.
use astro_platform::config::{Config as _, Settings};
use auth_service::hashing::PasswordHasher;
use secrecy::SecretString;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

const PASSWORD: &str = "bench-Passw0rd!";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_lookup(|name| std::env::var(name).ok())?;
    let seconds: u64 = std::env::var("DURATION_SECS").map_or(Ok(10), |s| s.parse())?;
    let hasher = PasswordHasher::new(&settings.hashing)?;
    let stored = hasher.hash(SecretString::from(PASSWORD)).await?;
    // Twice as many callers as hashing threads: a thread never waits for work.
    let callers = settings.hashing.concurrency.max(1) * 2;
    let verified = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (cpu_before, started) = (process_cpu_seconds()?, Instant::now());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..callers {
        let (hasher, stored, verified) = (Arc::clone(&hasher), stored.clone(), Arc::clone(&verified));
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let ok = hasher
                    .verify(SecretString::from(PASSWORD), Some(stored.clone()))
                    .await?;
                anyhow::ensure!(ok, "the password did not verify");
                verified.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let (elapsed, cpu) = (
        started.elapsed().as_secs_f64(),
        process_cpu_seconds()? - cpu_before,
    );
    let count = verified.load(Ordering::Relaxed) as f64;
    println!(
        "{}",
        serde_json::json!({
            "scenario": "hash_limit",
            "threads": settings.hashing.concurrency,
            "memory_kib": settings.hashing.memory_kib,
            "iterations": settings.hashing.iterations,
            "hashes_per_s": count / elapsed,
            "cpu_ms_per_hash": cpu * 1000.0 / count,
        })
    );
    Ok(())
}

/// User plus system CPU of this process so far, from `/proc/self/stat` (in clock ticks of
/// 1/100 s, Linux's `USER_HZ` on every architecture it runs on here).
fn process_cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name (field 2) may hold spaces; the fields after its `)` are plain.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("short /proc/self/stat"))?
            .parse::<f64>()?)
    };
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the `)`.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}
