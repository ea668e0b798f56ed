//! The auth service's janitor: removes refresh tokens, sessions and one-time tokens some time
//! after they expired, so that every login no longer leaves a row for good.
use crate::repo::{AuthRepo, Expiring};
use astro_platform::janitor::{self, Swept};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// How long an expired row is kept. Expired rows are already refused by every query, so this is
/// not about correctness but about not racing the edges: clocks of replicas and the database
/// differ by seconds, a token verified just before its `exp` may reach the database just after,
/// and a recently expired session is still worth seeing when a user reports a problem. A day
/// covers all of that at the cost of one day's rows.
const EXPIRY_MARGIN: Duration = Duration::from_secs(24 * 3600);

/// Removes what expired; one per service instance, any number of replicas at once.
#[derive(Clone)]
pub struct Janitor {
    repo: Arc<dyn AuthRepo>,
    interval: Duration,
}

impl Janitor {
    pub(crate) fn new(repo: Arc<dyn AuthRepo>, interval: Duration) -> Self {
        Self { repo, interval }
    }
}

impl janitor::Janitor for Janitor {
    type Error = sqlx::Error;
    const SERVICE: &'static str = "auth";

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn pass(&self, shutdown: &CancellationToken) -> Result<Swept, sqlx::Error> {
        let before = janitor::cutoff(astro_platform::time::now_micros(), EXPIRY_MARGIN);
        let mut swept = Swept::new();
        for table in Expiring::ALL {
            let removed = janitor::sweep(table.table(), shutdown, |limit| {
                self.repo.delete_expired(table, before, limit)
            })
            .await?;
            swept.insert(table.table(), removed);
        }
        Ok(swept)
    }
}
