//! The audit log's storage: one table, written once per event, read newest first with
//! optional filters. [`SqlAuditRepo`] implements it on both databases.
mod sql;

use astro_proto::admin::v1::AuditEvent;
use astro_store::Db;
use async_trait::async_trait;
use std::sync::Arc;

pub use sql::SqlAuditRepo;

/// A stored event: its id and time (µs since the Unix epoch) and what was recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub at: i64,
    pub event: AuditEvent,
}

/// Which events to list; every set field narrows the result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventFilter {
    /// Events whose actor or target is this user.
    pub user_id: Option<i64>,
    pub action: Option<String>,
    /// Inclusive bounds, µs since the Unix epoch.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Stores `event` as having happened at `at` (µs); returns its id.
    async fn record(&self, at: i64, event: &AuditEvent) -> Result<i64, sqlx::Error>;
    /// One page, newest first, and the number of matching events.
    async fn list(&self, filter: &EventFilter) -> Result<(Vec<StoredEvent>, u64), sqlx::Error>;
    /// Anonymises a deleted user's events: their id, their address and user agent where they
    /// acted, and every such event's details go; what happened, when, and by whom else stays.
    async fn forget_user(&self, user_id: i64) -> Result<u64, sqlx::Error>;
    /// Deletes at most `limit` of the oldest events recorded before `before` (µs); answers how
    /// many. Concurrent callers delete disjoint rows.
    async fn delete_before(&self, before: i64, limit: i64) -> Result<u64, sqlx::Error>;
}

/// The repository for whichever database `db` is.
pub fn for_db(db: &Db) -> Arc<dyn AuditRepo> {
    Arc::new(SqlAuditRepo::new(db.clone()))
}

/// The `WHERE` for `filter`, from fixed fragments with `$n` placeholders in the order
/// `user_id`, `action`, `since`, `until` (those set); and the number of placeholders used.
/// Only the fragments a filter needs appear, so each query can use the index that fits it.
fn where_clause(filter: &EventFilter) -> (String, usize) {
    let mut conditions = Vec::new();
    let mut used = 0;
    let mut next = || {
        used += 1;
        format!("${used}")
    };
    if filter.user_id.is_some() {
        let p = next();
        conditions.push(format!("(actor_id = {p} OR target_id = {p})"));
    }
    if filter.action.is_some() {
        conditions.push(format!("action = {}", next()));
    }
    if filter.since.is_some() {
        conditions.push(format!("at >= {}", next()));
    }
    if filter.until.is_some() {
        conditions.push(format!("at <= {}", next()));
    }
    if conditions.is_empty() {
        (String::new(), used)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_set_filters_appear_in_bind_order() {
        assert_eq!(where_clause(&EventFilter::default()), (String::new(), 0));
        let filter = EventFilter {
            user_id: Some(7),
            until: Some(1),
            ..EventFilter::default()
        };
        assert_eq!(
            where_clause(&filter),
            (
                " WHERE (actor_id = $1 OR target_id = $1) AND at <= $2".to_owned(),
                2
            )
        );
        let filter = EventFilter {
            action: Some("x".into()),
            since: Some(1),
            ..EventFilter::default()
        };
        assert_eq!(where_clause(&filter).0, " WHERE action = $1 AND at >= $2");
    }
}
