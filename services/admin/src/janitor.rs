//! The admin service's janitor: removes audit events older than `AUDIT_RETENTION_DAYS`, so the
//! log covers a fixed window instead of growing forever.
use crate::audit::AuditRepo;
use astro_platform::janitor::{self, Swept};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// The metric's `table` label.
const TABLE: &str = "audit_events";

/// Removes old audit events; one per service instance, any number of replicas at once.
#[derive(Clone)]
pub struct Janitor {
    audit: Arc<dyn AuditRepo>,
    interval: Duration,
    retention: Duration,
}

impl Janitor {
    pub(crate) fn new(audit: Arc<dyn AuditRepo>, interval: Duration, retention: Duration) -> Self {
        Self {
            audit,
            interval,
            retention,
        }
    }
}

impl janitor::Janitor for Janitor {
    type Error = sqlx::Error;
    const SERVICE: &'static str = "admin";

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn pass(&self, shutdown: &CancellationToken) -> Result<Swept, sqlx::Error> {
        let before = janitor::cutoff(astro_platform::time::now_micros(), self.retention);
        let removed =
            janitor::sweep(TABLE, shutdown, |limit| self.audit.delete_before(before, limit)).await?;
        Ok(Swept::from([(TABLE, removed)]))
    }
}
