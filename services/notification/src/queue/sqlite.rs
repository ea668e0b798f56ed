//! The outbox on SQLite, which runs one writer at a time, so the claim needs no row locks.
use super::{claimed_columns, email_queue_impl};
use sqlx::SqlitePool;

/// The outbox in a SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteEmailQueue(pub SqlitePool);

// The re-check of `status` in the outer WHERE is what makes a claim exclusive here: the UPDATE
// is one write transaction, and SQLite serialises those.
email_queue_impl!(
    SqliteEmailQueue,
    claim = concat!(
        "UPDATE email_queue SET status = 'sending', locked_until = $3 WHERE status = 'pending' AND id IN (",
        "SELECT id FROM email_queue WHERE status = 'pending' AND next_attempt_at <= $1 ",
        "ORDER BY id LIMIT $2) RETURNING ",
        claimed_columns!()
    )
);
