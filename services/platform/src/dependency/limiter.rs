//! A per-kind log rate limit: the first event of a kind is logged, then at most one every
//! interval, each line carrying how many events of its kind went unlogged before it.
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Decides which events of each kind get a log line.
#[derive(Debug)]
pub struct LogLimiter {
    interval: Duration,
    kinds: Mutex<HashMap<&'static str, Window>>,
}

#[derive(Debug)]
struct Window {
    logged_at: Instant,
    unlogged: u64,
}

impl LogLimiter {
    pub fn new(interval: Duration) -> LogLimiter {
        LogLimiter {
            interval,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Whether an event of `kind` happening at `now` gets a log line: `Some(n)`, `n` being the
    /// number of events of that kind left unlogged since the previous line, or `None`.
    pub fn admit(&self, kind: &'static str, now: Instant) -> Option<u64> {
        // Only failures come here, so one lock per event costs nothing on the hot path.
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        match kinds.get_mut(kind) {
            Some(window) if now.saturating_duration_since(window.logged_at) < self.interval => {
                window.unlogged += 1;
                None
            }
            Some(window) => {
                window.logged_at = now;
                Some(std::mem::take(&mut window.unlogged))
            }
            None => {
                kinds.insert(
                    kind,
                    Window {
                        logged_at: now,
                        unlogged: 0,
                    },
                );
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_under_load_is_a_few_lines_with_counts() {
        let limiter = LogLimiter::new(Duration::from_secs(5));
        let start = Instant::now();
        // 40 s of outage at 7,500 failed requests a second (the chaos run's rate).
        const FAILURES: u64 = 300_000;
        let (mut lines, mut unlogged) = (0, 0);
        for i in 0..FAILURES {
            let now = start + Duration::from_micros(i * 40_000_000 / FAILURES);
            match limiter.admit("user", now) {
                Some(count) => {
                    // Each line counts exactly the failures since the previous one.
                    assert_eq!(count, unlogged, "line {lines}");
                    (lines, unlogged) = (lines + 1, 0);
                }
                None => unlogged += 1,
            }
        }
        assert_eq!(lines, 8, "one line per 5 s of a 40 s outage");
    }

    #[test]
    fn kinds_are_limited_separately() {
        let limiter = LogLimiter::new(Duration::from_secs(5));
        let now = Instant::now();
        assert_eq!(limiter.admit("user", now), Some(0));
        assert_eq!(limiter.admit("user", now), None);
        assert_eq!(limiter.admit("redis", now), Some(0));
        assert_eq!(limiter.admit("user", now + Duration::from_secs(1)), None);
        assert_eq!(limiter.admit("user", now + Duration::from_secs(5)), Some(2));
        assert_eq!(limiter.admit("user", now + Duration::from_secs(6)), None);
    }
}
