//! The trigger-kept counters behind the stats and the unsearched list totals stay exact:
//! through the upgrade that shards them on PostgreSQL (migration 4 recounts), under bulk
//! statements (one trigger run for many rows), and under concurrent registrations and edits.
use crate::helpers::{Client, create, get, new_user};
use astro_proto::user::v1::{GetStatsRequest, Stats, UpdateUserRequest};
use astro_store::{Db, Migrations};
use sqlx::AssertSqlSafe;
use std::future::Future;
use testkit::{Backend, ScratchDb};
use tokio::task::JoinSet;
use user_service::MIGRATIONS;

testkit::on_both_backends!(crate::helpers::run => concurrent_writes_keep_the_stats_exact);

// The same, for tests that talk SQL to a fresh database instead of gRPC.
testkit::on_both_backends!(mod sqlite_sql, postgres_sql; super::with_database =>
    upgrade_and_bulk_statements_keep_the_counters_exact,
);

async fn with_database<Fut: Future<Output = ()> + Send + 'static>(backend: Backend, body: fn(Db) -> Fut) {
    let Some(database) = ScratchDb::create(backend, "us").await else {
        return;
    };
    let db = database.connect().await;
    let outcome = tokio::spawn(body(db.clone())).await;
    db.close().await;
    database.remove().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

async fn execute(db: &Db, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
    .expect("statement runs");
}

/// The rows of a query selecting one text column.
async fn lines(db: &Db, sql: &'static str) -> Vec<String> {
    match db {
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .expect(sql)
}

/// Users `from..=to` in one statement, spread over roles, flags and creation hours.
fn insert_users(from: i64, to: i64) -> String {
    format!(
        "WITH RECURSIVE g(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM g WHERE i < {to}) \
         INSERT INTO users (email, username, username_key, password_hash, role, is_verified, \
                            is_active, created_at, updated_at) \
         SELECT 'bulk' || i || '@example.com', 'bulk' || i, 'bulk' || i, 'h', \
                CASE WHEN i % 7 = 0 THEN 'admin' ELSE 'user' END, i % 3 <> 0, i % 5 <> 0, \
                CAST(i AS BIGINT) * 1000000000, 0 \
         FROM g"
    )
}

/// Asserts that the counters, summed over any shards, equal a count of the table.
async fn assert_exact(db: &Db, after: &str) {
    let counted = lines(
        db,
        "SELECT role || ' ' || CASE WHEN is_verified THEN 'verified' ELSE '-' END || ' ' \
         || CASE WHEN is_active THEN 'active' ELSE '-' END || ' ' || CAST(SUM(n) AS BIGINT) \
         FROM user_counts GROUP BY role, is_verified, is_active HAVING SUM(n) <> 0 ORDER BY 1",
    )
    .await;
    let actual = lines(
        db,
        "SELECT role || ' ' || CASE WHEN is_verified THEN 'verified' ELSE '-' END || ' ' \
         || CASE WHEN is_active THEN 'active' ELSE '-' END || ' ' || COUNT(*) \
         FROM users GROUP BY role, is_verified, is_active ORDER BY 1",
    )
    .await;
    assert_eq!(counted, actual, "user_counts after {after}");
    let counted = lines(
        db,
        "SELECT CAST(hour AS TEXT) || ' ' || CAST(SUM(n) AS BIGINT) \
         FROM user_registrations_hourly GROUP BY hour HAVING SUM(n) <> 0 ORDER BY 1",
    )
    .await;
    let actual = lines(
        db,
        "SELECT CAST(created_at / 3600000000 AS TEXT) || ' ' || COUNT(*) \
         FROM users GROUP BY created_at / 3600000000 ORDER BY 1",
    )
    .await;
    assert_eq!(counted, actual, "user_registrations_hourly after {after}");
    // A negative row would mean a decrement landed where its increment did not.
    let negative = lines(
        db,
        "SELECT 'counts ' || role || ' ' || n FROM user_counts WHERE n < 0 \
         UNION ALL SELECT 'hourly ' || hour || ' ' || n FROM user_registrations_hourly WHERE n < 0",
    )
    .await;
    assert_eq!(negative, Vec::<String>::new(), "after {after}");
}

async fn upgrade_and_bulk_statements_keep_the_counters_exact(db: Db) {
    // Users counted by the previous schema, which migration 4 converts.
    let before = Migrations {
        postgres: &MIGRATIONS.postgres[..3],
        sqlite: &MIGRATIONS.sqlite[..3],
        ..MIGRATIONS
    };
    db.migrate(&before).await.expect("migrations 1-3");
    execute(&db, &insert_users(1, 300)).await;
    db.migrate(&MIGRATIONS).await.expect("the remaining migrations");
    assert_exact(&db, "the upgrade").await;

    let steps = [
        ("a bulk insert", insert_users(301, 800)),
        (
            "bulk verification changes",
            "UPDATE users SET is_verified = NOT is_verified WHERE id % 4 = 0".into(),
        ),
        (
            "a bulk role and flag change",
            "UPDATE users SET role = 'admin', is_active = FALSE WHERE id % 6 = 1".into(),
        ),
        (
            "a bulk update of uncounted columns",
            "UPDATE users SET first_name = 'x', role = role".into(),
        ),
        ("a bulk delete", "DELETE FROM users WHERE id % 9 = 0".into()),
        (
            "one transaction of many statements",
            format!(
                "BEGIN; \
                 {}; \
                 UPDATE users SET is_verified = TRUE, is_active = FALSE WHERE id > 800; \
                 DELETE FROM users WHERE id % 10 = 3; \
                 UPDATE users SET role = 'user' WHERE role = 'admin' AND id % 2 = 0; \
                 {}; \
                 COMMIT",
                insert_users(801, 900),
                insert_users(901, 950)
            ),
        ),
    ];
    for (step, sql) in steps {
        execute(&db, &sql).await;
        assert_exact(&db, step).await;
    }
}

/// Registrations, verifications, disablings and deletions all at once: the counter rows they
/// share (or their shards) lose no update.
async fn concurrent_writes_keep_the_stats_exact(mut client: Client) {
    let mut existing = Vec::new();
    for i in 0..12 {
        existing.push(create(&mut client, new_user(&format!("old{i}"))).await.id);
    }
    let mut tasks = JoinSet::new();
    for i in 0..32 {
        let mut client = client.clone();
        tasks.spawn(async move {
            create(&mut client, new_user(&format!("new{i}"))).await;
        });
    }
    for (i, id) in existing.into_iter().enumerate() {
        let mut client = client.clone();
        tasks.spawn(async move {
            match i % 3 {
                0 => {
                    client.mark_verified(get(id)).await.expect("verify");
                }
                1 => {
                    let disable = UpdateUserRequest {
                        id,
                        is_active: Some(false),
                        ..Default::default()
                    };
                    client.update_user(disable).await.expect("disable");
                }
                _ => {
                    client.delete_user(get(id)).await.expect("delete");
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    let stats = client.get_stats(GetStatsRequest {}).await.unwrap().into_inner();
    assert_eq!(
        stats,
        Stats {
            total_users: 40,
            verified_users: 4,
            unverified_users: 36,
            admin_users: 0,
            recent_registrations: 40,
            active_users: 36,
            disabled_users: 4,
        }
    );
}
