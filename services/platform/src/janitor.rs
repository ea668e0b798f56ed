//! The janitor's pacing, shared by the services that own rows which expire (auth: sessions and
//! tokens; notification: the email queue; admin: the audit log). Each service says what is due;
//! this module deletes it in small batches, counts it, and repeats on an interval.
//!
//! Several replicas may sweep the same tables at once: every batch is one `DELETE` of rows
//! picked by a bounded subquery (with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas take
//! disjoint rows instead of waiting on, or deadlocking with, each other), and a row can only be
//! deleted, hence counted, once.
use std::{collections::BTreeMap, future::Future, time::Duration};
use tokio_util::sync::CancellationToken;

/// Rows one statement deletes at most: small enough that a batch holds its row locks (or, on
/// SQLite, the one write lock) for milliseconds, so logins and refreshes never queue behind it.
pub const BATCH: i64 = 1000;
/// Between two batches: lets the writers that waited behind a batch go first.
const PAUSE: Duration = Duration::from_millis(50);
/// The first pass comes this soon after start (or after one interval, if shorter): a process
/// restarted more often than the interval must still clean, yet start-up work goes first.
pub const FIRST_PASS_AFTER: Duration = Duration::from_secs(60);

/// Rows removed by one pass, by table.
pub type Swept = BTreeMap<&'static str, u64>;

/// Deletes the due rows of `table` batch by batch until a batch comes back short (nothing due
/// is left, or another replica holds the rest) or `shutdown` is cancelled. `delete_batch` runs
/// one bounded `DELETE` of at most the given number of rows and answers how many it removed.
/// Every removed row is counted in `janitor_rows_deleted_total{table}`.
pub async fn sweep<E, F, Fut>(
    table: &'static str,
    shutdown: &CancellationToken,
    mut delete_batch: F,
) -> Result<u64, E>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<u64, E>>,
{
    let counter = ::metrics::counter!("janitor_rows_deleted_total", "table" => table);
    // Registered at zero, so the series exists before anything was ever removed.
    counter.increment(0);
    let mut total = 0;
    loop {
        let removed = delete_batch(BATCH).await?;
        counter.increment(removed);
        total += removed;
        if removed < BATCH as u64 {
            return Ok(total);
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(total),
            () = tokio::time::sleep(PAUSE) => {}
        }
    }
}

/// Runs `pass` soon after start, then every `interval`, until `shutdown` is cancelled (a pass
/// under way finishes its current batch first: [`sweep`] watches the same token).
pub async fn every<F, Fut>(interval: Duration, shutdown: CancellationToken, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut wait = interval.min(FIRST_PASS_AFTER);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        pass().await;
        wait = interval;
    }
}

/// A service's janitor: what one pass removes. Running it once (tests, operators) and on an
/// interval (the service) come with it.
pub trait Janitor: Send + Sync + Sized + 'static {
    type Error: std::fmt::Display + Send;
    /// The owning service, for logs.
    const SERVICE: &'static str;

    /// How often a pass runs.
    fn interval(&self) -> Duration;

    /// Removes what is due, table by table, stopping between batches once `shutdown` is
    /// cancelled; answers the rows removed per table.
    fn pass(&self, shutdown: &CancellationToken) -> impl Future<Output = Result<Swept, Self::Error>> + Send;

    /// One pass, now.
    fn run_once(&self) -> impl Future<Output = Result<Swept, Self::Error>> + Send {
        async move { self.pass(&CancellationToken::new()).await }
    }

    /// Passes soon after start and every interval until `shutdown` is cancelled.
    fn run(self, shutdown: CancellationToken) -> impl Future<Output = ()> + Send {
        async move {
            let stop = shutdown.clone();
            let (this, stop) = (&self, &stop);
            every(self.interval(), shutdown, || async move {
                report(Self::SERVICE, this.pass(stop).await);
            })
            .await;
        }
    }
}

/// `now` (µs since the epoch) minus `age`, for "older than `age`" cut-offs; saturates rather
/// than wraps for absurd ages.
pub fn cutoff(now: i64, age: Duration) -> i64 {
    now.saturating_sub(i64::try_from(age.as_micros()).unwrap_or(i64::MAX))
}

/// Logs what a pass removed, or why it failed; the next pass retries either way.
pub fn report<E: std::fmt::Display>(service: &'static str, outcome: Result<Swept, E>) {
    match outcome {
        Ok(swept) => {
            let removed: u64 = swept.values().sum();
            if removed > 0 {
                tracing::info!(service, ?swept, "janitor removed expired rows");
            }
        }
        Err(err) => tracing::warn!(service, error = %err, "janitor pass failed; retrying next interval"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[tokio::test]
    async fn sweeps_until_a_batch_comes_back_short() {
        let left = AtomicU64::new(2 * BATCH as u64 + 7);
        let calls = AtomicU64::new(0);
        let removed = sweep::<(), _, _>("test_table", &CancellationToken::new(), |limit| {
            calls.fetch_add(1, Ordering::Relaxed);
            let take = left.load(Ordering::Relaxed).min(limit as u64);
            left.fetch_sub(take, Ordering::Relaxed);
            async move { Ok(take) }
        })
        .await
        .unwrap();
        assert_eq!(removed, 2 * BATCH as u64 + 7);
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn stops_between_batches_on_shutdown() {
        let shutdown = CancellationToken::new();
        let removed = sweep::<(), _, _>("test_table", &shutdown, |limit| {
            shutdown.cancel();
            async move { Ok(limit as u64) }
        })
        .await
        .unwrap();
        assert_eq!(removed, BATCH as u64);
    }

    #[test]
    fn cutoff_saturates() {
        assert_eq!(cutoff(10_000_000, Duration::from_secs(1)), 9_000_000);
        assert_eq!(cutoff(0, Duration::MAX), -i64::MAX);
    }
}
