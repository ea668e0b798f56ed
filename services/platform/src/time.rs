//! Time as stored: microseconds since the Unix epoch, the same in SQLite and PostgreSQL so that
//! comparisons and ordering behave identically on both.
use astro_proto::Timestamp;
use chrono::{DateTime, TimeZone, Utc};

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// Seconds since the Unix epoch, now (JWT `iat`/`exp` precision).
pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

pub fn micros_to_datetime(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

pub fn micros_to_timestamp(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

pub fn timestamp_to_datetime(ts: &Timestamp) -> DateTime<Utc> {
    Utc.timestamp_opt(ts.seconds, ts.nanos.max(0) as u32)
        .single()
        .unwrap_or_default()
}

/// RFC 3339 with a `Z` and whole seconds, as the HTTP contract shows.
pub fn to_rfc3339(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The time the auth rules read (TOTP steps, recent authentication, `auth_time`): the system
/// clock, which tests can move forward or back ([`Clock::shift`]) to reach a time step or an
/// expiry without sleeping. Cheap to clone; clones share the shift.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    shift_secs: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Seconds since the Unix epoch, now (shifted).
    pub fn now_secs(&self) -> i64 {
        now_secs() + self.shift_secs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Microseconds since the Unix epoch, now (shifted).
    pub fn now_micros(&self) -> i64 {
        now_micros() + self.shift_secs.load(std::sync::atomic::Ordering::Relaxed) * 1_000_000
    }

    /// Moves this clock (and its clones) by `secs` more. For tests: a running system has no
    /// way to reach it but the handle it was built with.
    pub fn shift(&self, secs: i64) {
        self.shift_secs
            .fetch_add(secs, std::sync::atomic::Ordering::Relaxed);
    }
}
