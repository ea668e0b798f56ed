//! What the notification tests share: the email queue read straight from the test's database
//! (rows by state and attempts, which no HTTP route shows), many registrations at once, and
//! the check that each of them got its verification email exactly once.
use crate::checks::json_body;
use crate::helpers::{TestApp, TestUser};
use astro_store::Db;
use std::{collections::BTreeMap, net::SocketAddr, time::Duration};
use testkit::mail::VERIFY_LINK;
use testkit::smtp::Received;

/// How long the queue may take to settle after the SMTP server is back.
const SETTLE_DEADLINE: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Emails in the notification queue not yet sent nor given up.
pub const UNSETTLED: &str = "SELECT COUNT(*) FROM email_queue WHERE status IN ('pending', 'sending')";
/// Emails that failed at least once and wait for their next attempt.
pub const RETRYING: &str = "SELECT COUNT(*) FROM email_queue WHERE status = 'pending' AND attempts >= 1";
/// Emails auth's outbox still holds.
pub const IN_OUTBOX: &str = "SELECT COUNT(*) FROM email_outbox";
/// Emails auth's relay failed to hand over at least once.
pub const RELAY_RETRYING: &str = "SELECT COUNT(*) FROM email_outbox WHERE attempts >= 1";
/// Emails the notification service has accepted, in any state.
pub const QUEUED: &str = "SELECT COUNT(*) FROM email_queue";

impl TestApp {
    /// The one number `sql` counts in the test's database.
    pub async fn count(&self, sql: &'static str) -> i64 {
        let db = self.db().await;
        let counted = match &db {
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        };
        db.close().await;
        counted.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Polls until `sql` counts `expected`, failing after a deadline.
    pub async fn wait_for_count(&self, sql: &'static str, expected: i64) {
        let deadline = tokio::time::Instant::now() + SETTLE_DEADLINE;
        loop {
            let counted = self.count(sql).await;
            if counted == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{sql} counted {counted}, not {expected}, after {SETTLE_DEADLINE:?}"
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Registers `n` new users concurrently, asserting each 200, and returns them.
    pub async fn register_many(&self, n: usize) -> Vec<TestUser> {
        let users: Vec<TestUser> = (0..n).map(|_| TestUser::random()).collect();
        let registrations = users.iter().map(|user| async move {
            json_body(self.register(user).await, 200).await;
        });
        futures::future::join_all(registrations).await;
        users
    }
}

/// Exactly one message per user, each their verification email.
pub fn assert_one_verification_each(received: &[Received], users: &[TestUser]) {
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for message in received {
        let email = message.email();
        email.token(VERIFY_LINK);
        *per_recipient.entry(email.to).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = users.iter().map(|u| (u.email.to_lowercase(), 1)).collect();
    assert_eq!(per_recipient, expected, "messages per recipient");
}

/// Nothing listens on `addr`: a connection is refused, not left hanging.
pub async fn assert_refused(addr: SocketAddr) {
    let connected = tokio::net::TcpStream::connect(addr).await;
    let refused = connected
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
    assert!(refused, "connecting to {addr}: {connected:?}");
}

/// The service behind `channel` answers nothing: a call fails as `UNAVAILABLE`.
pub async fn assert_unavailable(channel: astro_platform::grpc::GrpcChannel) {
    let checked = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await;
    let refused = checked
        .as_ref()
        .is_err_and(|status| status.code() == tonic::Code::Unavailable);
    assert!(refused, "a health check of a stopped service: {checked:?}");
}
