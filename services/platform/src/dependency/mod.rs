//! Failures of what a process depends on: another service, the database, Redis. They are
//! recognised wherever they surface (a gRPC status, a transport error), answered as
//! "unavailable" rather than as internal errors, counted by dependency in
//! `dependency_failures_total`, and logged at most once per dependency every few seconds with
//! the number of failures left unlogged: an outage under load is a handful of lines, not one
//! per request.
mod channel;
mod limiter;

pub use channel::{ServiceChannel, WatchedBody, WatchedChannel, service_channel};
pub use limiter::LogLimiter;

use std::{
    error::Error as _,
    fmt,
    sync::OnceLock,
    time::{Duration, Instant},
};
use tonic::{Code, Status};

/// The client-facing message of every dependency failure.
pub const UNAVAILABLE: &str = "Service temporarily unavailable";

/// At most one log line per dependency this often.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Whether a status from a call says that the callee, or the way to it, failed (rather than
/// that it refused the request). Besides the codes for that, an `UNKNOWN` or `INTERNAL` that
/// the client made from a broken connection (a transport error as its source; statuses sent
/// by a peer never carry a source) is one: a service killed mid-call is not a bug of ours.
pub fn is_failure(status: &Status) -> bool {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => true,
        Code::Unknown | Code::Internal => from_transport(status),
        _ => false,
    }
}

/// Whether a transport error (tonic's, hyper's, or I/O) is in the status's source chain.
fn from_transport(status: &Status) -> bool {
    let mut source = status.source();
    while let Some(err) = source {
        if err.is::<tonic::transport::Error>() || err.is::<hyper::Error>() || err.is::<std::io::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Counts a failure of `dependency` (`"user"`, `"database"`, `"redis"`…) and logs it, unless a
/// line about that dependency was logged less than [`LOG_INTERVAL`] ago; the next line says
/// how many were left out.
pub fn record(dependency: &'static str, error: &dyn fmt::Display) {
    metrics::counter!("dependency_failures_total", "dependency" => dependency).increment(1);
    static LIMITER: OnceLock<LogLimiter> = OnceLock::new();
    let limiter = LIMITER.get_or_init(|| LogLimiter::new(LOG_INTERVAL));
    if let Some(unlogged) = limiter.admit(dependency, Instant::now()) {
        tracing::warn!(dependency, %error, unlogged, "dependency unavailable");
    }
}

/// An error and its sources, `: `-separated (a transport error's own text says little).
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

/// The status a caller answers with when a dependency failed.
pub fn unavailable() -> Status {
    Status::unavailable(UNAVAILABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_not_failures() {
        for code in [
            Code::NotFound,
            Code::InvalidArgument,
            Code::FailedPrecondition,
            Code::Unauthenticated,
        ] {
            assert!(!is_failure(&Status::new(code, "no")), "{code:?}");
        }
        assert!(is_failure(&Status::unavailable("down")));
        assert!(is_failure(&Status::cancelled("timeout")));
    }

    #[test]
    fn an_internal_error_is_a_failure_only_when_the_transport_broke() {
        // As sent by a peer: a bug over there, reported as such.
        assert!(!is_failure(&Status::internal("Internal server error")));
        assert!(!is_failure(&Status::unknown("transport error")));
        // As made by the client from a broken connection.
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let broken = Status::from_error(Box::new(reset));
        assert_eq!(broken.code(), Code::Unknown);
        assert!(is_failure(&broken));
    }
}
