//! The audit log on either database: one struct over [`Db`], each method one [`on_pool!`]
//! dispatch (the rule is in `astro_store`). sqlx accepts `$n` placeholders on SQLite too,
//! so every statement is shared but the janitor's batch selection, which skips rows another
//! replica is deleting on PostgreSQL (SQLite has one writer at a time and no such clause).
use super::{AuditRepo, EventFilter, StoredEvent, where_clause};
use astro_proto::admin::v1::AuditEvent;
use astro_store::{Db, on_pool};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

const INSERT: &str = "INSERT INTO audit_events \
     (at, action, actor_id, target_id, ip, user_agent, trace_id, details) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
/// All right-hand sides see the row as it was, so the `CASE`s test the original ids.
const FORGET: &str = "UPDATE audit_events SET \
     ip = CASE WHEN actor_id = $1 THEN '' ELSE ip END, \
     user_agent = CASE WHEN actor_id = $1 THEN '' ELSE user_agent END, \
     details = '{}', \
     actor_id = CASE WHEN actor_id = $1 THEN NULL ELSE actor_id END, \
     target_id = CASE WHEN target_id = $1 THEN NULL ELSE target_id END \
     WHERE actor_id = $1 OR target_id = $1";
/// Oldest first along `audit_events_at_idx`, so an interrupted sweep leaves no gaps.
const DELETE_BEFORE_PG: &str = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events \
     WHERE at < $1 ORDER BY at, id LIMIT $2 FOR UPDATE SKIP LOCKED)";
const DELETE_BEFORE_SQLITE: &str = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events \
     WHERE at < $1 ORDER BY at, id LIMIT $2)";
const COLUMNS: &str = "id, at, action, actor_id, target_id, ip, user_agent, trace_id, details";

/// A row of `audit_events`, in [`COLUMNS`].
#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: i64,
    action: String,
    actor_id: Option<i64>,
    target_id: Option<i64>,
    ip: String,
    user_agent: String,
    trace_id: String,
    details: String,
}

impl From<EventRow> for StoredEvent {
    fn from(row: EventRow) -> StoredEvent {
        StoredEvent {
            id: row.id,
            at: row.at,
            event: AuditEvent {
                action: row.action,
                actor_id: row.actor_id,
                target_id: row.target_id,
                ip: row.ip,
                user_agent: row.user_agent,
                trace_id: row.trace_id,
                details: row.details,
            },
        }
    }
}

/// The audit log in whichever database the service runs on.
#[derive(Clone, Debug)]
pub struct SqlAuditRepo {
    db: Db,
}

impl SqlAuditRepo {
    pub fn new(db: Db) -> Self {
        SqlAuditRepo { db }
    }
}

#[async_trait]
impl AuditRepo for SqlAuditRepo {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.record"))]
    async fn record(&self, at: i64, event: &AuditEvent) -> Result<i64, sqlx::Error> {
        on_pool!(self.db, |pool| {
            sqlx::query_scalar(INSERT)
                .bind(at)
                .bind(&event.action)
                .bind(event.actor_id)
                .bind(event.target_id)
                .bind(&event.ip)
                .bind(&event.user_agent)
                .bind(&event.trace_id)
                .bind(&event.details)
                .fetch_one(pool)
                .await
        })
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.forget_user"))]
    async fn forget_user(&self, user_id: i64) -> Result<u64, sqlx::Error> {
        let done = on_pool!(self.db, |pool| {
            sqlx::query(FORGET)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.delete_before"))]
    async fn delete_before(&self, before: i64, limit: i64) -> Result<u64, sqlx::Error> {
        let sql = match self.db {
            Db::Postgres(_) => DELETE_BEFORE_PG,
            Db::Sqlite(_) => DELETE_BEFORE_SQLITE,
        };
        self.db.delete_batch(sql, before, limit).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.list"))]
    async fn list(&self, filter: &EventFilter) -> Result<(Vec<StoredEvent>, u64), sqlx::Error> {
        let (where_sql, used) = where_clause(filter);
        let rows_sql = format!(
            "SELECT {COLUMNS} FROM audit_events{where_sql} ORDER BY at DESC, id DESC LIMIT ${} OFFSET ${}",
            used + 1,
            used + 2
        );
        let count_sql = format!("SELECT COUNT(*) FROM audit_events{where_sql}");
        let (rows, total): (Vec<EventRow>, i64) = on_pool!(self.db, |pool| {
            let mut rows = sqlx::query_as(AssertSqlSafe(rows_sql));
            let mut total = sqlx::query_scalar(AssertSqlSafe(count_sql));
            // The filter's values in `where_clause`'s placeholder order.
            if let Some(user_id) = filter.user_id {
                (rows, total) = (rows.bind(user_id), total.bind(user_id));
            }
            if let Some(action) = &filter.action {
                (rows, total) = (rows.bind(action), total.bind(action));
            }
            for bound in [filter.since, filter.until].into_iter().flatten() {
                (rows, total) = (rows.bind(bound), total.bind(bound));
            }
            let rows = rows.bind(filter.limit).bind(filter.offset).fetch_all(pool);
            // Independent reads: side by side rather than one after the other.
            tokio::try_join!(rows, total.fetch_one(pool))
        })?;
        let events = rows.into_iter().map(StoredEvent::from).collect();
        Ok((events, u64::try_from(total).unwrap_or(0)))
    }
}
