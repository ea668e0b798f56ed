//! The audit log's SQL, written once: sqlx accepts `$n` placeholders on SQLite too, so one
//! macro expands the same bodies for the PostgreSQL and the SQLite pool.
use super::{AuditRepo, EventFilter, StoredEvent, where_clause};
use astro_proto::admin::v1::AuditEvent;
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, postgres::PgPool, sqlite::SqlitePool};

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
const COLUMNS: &str = "id, at, action, actor_id, target_id, ip, user_agent, trace_id, details";

macro_rules! audit_repo {
    ($(#[$doc:meta])* $repo:ident, $pool:ty, $db:ty) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $repo(pub $pool);

        impl $repo {
            fn event(row: &<$db as sqlx::Database>::Row) -> Result<StoredEvent, sqlx::Error> {
                Ok(StoredEvent {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    event: AuditEvent {
                        action: row.try_get("action")?,
                        actor_id: row.try_get("actor_id")?,
                        target_id: row.try_get("target_id")?,
                        ip: row.try_get("ip")?,
                        user_agent: row.try_get("user_agent")?,
                        trace_id: row.try_get("trace_id")?,
                        details: row.try_get("details")?,
                    },
                })
            }

            /// Binds the filter's values in [`where_clause`]'s placeholder order.
            fn bind_filter<'q>(
                mut query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
                filter: &EventFilter,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
                if let Some(user_id) = filter.user_id {
                    query = query.bind(user_id);
                }
                if let Some(action) = &filter.action {
                    query = query.bind(action.clone());
                }
                for bound in [filter.since, filter.until].into_iter().flatten() {
                    query = query.bind(bound);
                }
                query
            }
        }

        #[async_trait]
        impl AuditRepo for $repo {
            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.record"))]
            async fn record(&self, at: i64, event: &AuditEvent) -> Result<i64, sqlx::Error> {
                sqlx::query(INSERT)
                    .bind(at)
                    .bind(event.action.clone())
                    .bind(event.actor_id)
                    .bind(event.target_id)
                    .bind(event.ip.clone())
                    .bind(event.user_agent.clone())
                    .bind(event.trace_id.clone())
                    .bind(event.details.clone())
                    .fetch_one(&self.0)
                    .await?
                    .try_get(0)
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.forget_user"))]
            async fn forget_user(&self, user_id: i64) -> Result<u64, sqlx::Error> {
                let done = sqlx::query(FORGET).bind(user_id).execute(&self.0).await?;
                Ok(done.rows_affected())
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "admin.list"))]
            async fn list(&self, filter: &EventFilter) -> Result<(Vec<StoredEvent>, u64), sqlx::Error> {
                let (where_sql, used) = where_clause(filter);
                let rows_sql = format!(
                    "SELECT {COLUMNS} FROM audit_events{where_sql} ORDER BY at DESC, id DESC \
                     LIMIT ${} OFFSET ${}",
                    used + 1,
                    used + 2
                );
                let count_sql = format!("SELECT COUNT(*) FROM audit_events{where_sql}");
                let rows = Self::bind_filter(sqlx::query(AssertSqlSafe(rows_sql)), filter)
                    .bind(filter.limit)
                    .bind(filter.offset)
                    .fetch_all(&self.0);
                let total = Self::bind_filter(sqlx::query(AssertSqlSafe(count_sql)), filter).fetch_one(&self.0);
                // Independent reads: side by side rather than one after the other.
                let (rows, total) = tokio::try_join!(rows, total)?;
                let events = rows.iter().map(Self::event).collect::<Result<_, _>>()?;
                let total: i64 = total.try_get(0)?;
                Ok((events, u64::try_from(total).unwrap_or(0)))
            }
        }
    };
}

audit_repo!(
    /// The audit log in PostgreSQL.
    PgAuditRepo,
    PgPool,
    Postgres
);
audit_repo!(
    /// The audit log in SQLite.
    SqliteAuditRepo,
    SqlitePool,
    Sqlite
);
