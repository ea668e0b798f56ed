//! The outbox on PostgreSQL, where several replicas may claim at once.
use super::{claimed_columns, email_queue_impl};
use sqlx::PgPool;

/// The outbox in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgEmailQueue(pub PgPool);

// SKIP LOCKED: concurrent claimers take disjoint rows instead of waiting on each other, and the
// row lock held until the UPDATE commits means no row is claimed twice.
email_queue_impl!(
    PgEmailQueue,
    claim = concat!(
        "UPDATE email_queue SET status = 'sending', locked_until = $3 WHERE id IN (",
        "SELECT id FROM email_queue WHERE status = 'pending' AND next_attempt_at <= $1 ",
        "ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING ",
        claimed_columns!()
    )
);
