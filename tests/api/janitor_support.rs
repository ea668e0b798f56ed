//! What the janitor tests share: SQL on the test's own database (to age rows without waiting
//! for them to expire), the `janitor_rows_deleted_total` counters as `/metrics` renders them,
//! and a lock that keeps those process-wide counters to one janitor test at a time.
use crate::checks::text_body;
use crate::helpers::TestApp;
use astro_store::Db;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use tokio::sync::{Mutex, MutexGuard};

/// Every table a janitor sweeps: the metric's `table` labels and the keys of a pass's answer.
pub const TABLES: [&str; 5] = [
    "audit_events",
    "email_queue",
    "one_time_tokens",
    "refresh_tokens",
    "sessions",
];

pub const DAY_MICROS: i64 = 86_400_000_000;

/// Held for the whole of a janitor test: the counters are shared by every stack of the test
/// binary, and only janitor tests make rows old enough to be removed.
pub async fn serial() -> MutexGuard<'static, ()> {
    static JANITOR_TESTS: Mutex<()> = Mutex::const_new(());
    JANITOR_TESTS.lock().await
}

pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A value to bind to a `$n` placeholder.
#[derive(Clone, Copy, Debug)]
pub enum Bind<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

/// The test's database, for statements no HTTP route can make.
pub struct TestDb(Db);

macro_rules! bound {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match *bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
                Bind::Null => query.bind(None::<i64>),
            };
        }
        query
    }};
}

impl TestDb {
    pub async fn connect(app: &TestApp) -> TestDb {
        TestDb(app.db().await)
    }

    /// Runs `sql` and answers the rows it affected.
    pub async fn execute(&self, sql: &str, binds: &[Bind<'_>]) -> u64 {
        let done = match &self.0 {
            Db::Postgres(pool) => bound!(sqlx::query(AssertSqlSafe(sql)), binds)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
            Db::Sqlite(pool) => bound!(sqlx::query(AssertSqlSafe(sql)), binds)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one number `sql` selects.
    pub async fn count(&self, sql: &str, binds: &[Bind<'_>]) -> i64 {
        let counted = match &self.0 {
            Db::Postgres(pool) => {
                bound!(sqlx::query_scalar(AssertSqlSafe(sql)), binds)
                    .fetch_one(pool)
                    .await
            }
            Db::Sqlite(pool) => {
                bound!(sqlx::query_scalar(AssertSqlSafe(sql)), binds)
                    .fetch_one(pool)
                    .await
            }
        };
        counted.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn close(self) {
        self.0.close().await;
    }
}

/// `janitor_rows_deleted_total` by table, as the gateway's `/metrics` renders it (0 for a
/// table no janitor has swept yet in this process).
pub async fn deleted_totals(app: &TestApp) -> BTreeMap<&'static str, u64> {
    let metrics = text_body(app.get("/metrics", None).await, 200).await;
    TABLES
        .into_iter()
        .map(|table| {
            let series = format!("janitor_rows_deleted_total{{table=\"{table}\"}} ");
            let value = metrics
                .lines()
                .find_map(|line| line.strip_prefix(&series))
                .map_or(0, |value| {
                    value.trim().parse().expect("a counter is a whole number")
                });
            (table, value)
        })
        .collect()
}

/// What the counters grew by between two readings.
pub fn growth(
    before: &BTreeMap<&'static str, u64>,
    after: &BTreeMap<&'static str, u64>,
) -> BTreeMap<&'static str, u64> {
    after
        .iter()
        .map(|(table, n)| (*table, n - before[table]))
        .collect()
}

/// `pairs` as a map with every table of [`TABLES`], 0 where not given.
pub fn per_table(pairs: &[(&'static str, u64)]) -> BTreeMap<&'static str, u64> {
    let mut map: BTreeMap<&'static str, u64> = TABLES.into_iter().map(|t| (t, 0)).collect();
    map.extend(pairs.iter().copied());
    map
}
