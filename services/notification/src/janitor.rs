//! The notification service's janitor: removes sent and dead emails once they are older than
//! `EMAIL_RETENTION_DAYS`, so the queue holds what is pending plus a bounded record. Queued and
//! in-flight emails are never touched.
use crate::{
    error::Result,
    queue::{EmailQueue, Finished},
};
use astro_platform::janitor::{self, Swept};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// The metric's `table` label.
const TABLE: &str = "email_queue";

/// Removes old finished emails; one per service instance, any number of replicas at once.
#[derive(Clone)]
pub struct Janitor {
    queue: Arc<dyn EmailQueue>,
    interval: Duration,
    retention: Duration,
}

impl Janitor {
    pub fn new(queue: Arc<dyn EmailQueue>, interval: Duration, retention: Duration) -> Self {
        Self {
            queue,
            interval,
            retention,
        }
    }
}

impl janitor::Janitor for Janitor {
    type Error = crate::error::NotificationError;
    const SERVICE: &'static str = "notification";

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn pass(&self, shutdown: &CancellationToken) -> Result<Swept> {
        let before = janitor::cutoff(astro_platform::time::now_micros(), self.retention);
        let mut removed = 0;
        for state in [Finished::Sent, Finished::Dead] {
            removed += janitor::sweep(TABLE, shutdown, |limit| {
                self.queue.delete_finished(state, before, limit)
            })
            .await?;
        }
        Ok(Swept::from([(TABLE, removed)]))
    }
}
