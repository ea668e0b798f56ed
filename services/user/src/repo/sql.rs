//! The SQL, written once: sqlx accepts `$n` placeholders on SQLite too, so one macro expands
//! the same method bodies for the PostgreSQL and the SQLite pool. Where the dialects differ
//! the difference is a macro argument.
use super::{
    ListQuery, NewUser, Stats, UserChanges, UserError, UserRecord, UserRepo, count,
    list::{self, Bind},
    write_error,
};
use astro_common::time::now_micros;
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, postgres::PgPool, sqlite::SqlitePool};

/// Every column, in the order `record` reads them.
macro_rules! columns {
    () => {
        "id, email, username, password_hash, first_name, last_name, role, is_verified, \
         is_active, avatar_url, avatar_key, created_at, updated_at, last_login_at"
    };
}

// The last-admin guard; its macro is used by `UPDATE` below.
#[macro_use]
mod admin_guard;
use admin_guard::{DELETE_KEEPING_ADMIN, LOCK_ADMINS_PG};

const SELECT_BY_ID: &str = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
const SELECT_BY_EMAIL: &str = concat!("SELECT ", columns!(), " FROM users WHERE email = $1");
const INSERT: &str = concat!(
    "INSERT INTO users (email, username, username_key, password_hash, first_name, last_name, \
     role, is_verified, is_active, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING ",
    columns!()
);
const SET_PASSWORD_HASH: &str = concat!(
    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 RETURNING ",
    columns!()
);
const MARK_VERIFIED: &str = concat!(
    "UPDATE users SET is_verified = TRUE, updated_at = $2 WHERE id = $1 RETURNING ",
    columns!()
);
const RECORD_LOGIN: &str = concat!(
    "UPDATE users SET last_login_at = $2, updated_at = $2 WHERE id = $1 RETURNING ",
    columns!()
);
// One statement whatever is set: `CASE WHEN <is set> THEN <new> ELSE <old>` keeps unset
// columns as they are at the moment of the write, so concurrent partial updates compose.
const UPDATE: &str = concat!(
    "UPDATE users SET \
     email = CASE WHEN $2 THEN $3 ELSE email END, \
     username = CASE WHEN $4 THEN $5 ELSE username END, \
     username_key = CASE WHEN $4 THEN $6 ELSE username_key END, \
     first_name = CASE WHEN $7 THEN $8 ELSE first_name END, \
     last_name = CASE WHEN $9 THEN $10 ELSE last_name END, \
     avatar_url = CASE WHEN $11 THEN $12 ELSE avatar_url END, \
     role = COALESCE($13, role), \
     is_verified = COALESCE($14, is_verified), \
     is_active = COALESCE($15, is_active), \
     updated_at = $16 \
     WHERE id = $1 AND ((COALESCE($13, role) = 'admin' AND COALESCE($15, is_active) \
     AND COALESCE($14, is_verified)) OR ",
    another_admin_remains!(),
    ") RETURNING ",
    columns!()
);
// `IS NOT DISTINCT FROM`: NULL (no uploaded avatar) compares equal to NULL, on PostgreSQL
// and on SQLite (3.39+).
const SWAP_AVATAR: &str = concat!(
    "UPDATE users SET avatar_key = $3, avatar_url = $4, updated_at = $5 \
     WHERE id = $1 AND avatar_key IS NOT DISTINCT FROM $2 RETURNING ",
    columns!()
);
const DELETE: &str = concat!("DELETE FROM users WHERE id = $1 RETURNING ", columns!());
// `FILTER` works on PostgreSQL and on SQLite (3.30+), and yields BIGINT on both, where a
// PostgreSQL `SUM` would be NUMERIC.
/// Statistics from the trigger-kept counters (migration 3): O(1) whatever the table size.
/// `$1` is the start of the "recent" window, `$2` the first whole hour after it, `$3` that
/// hour's start: whole hours come from the hourly counts, the partial hour from the index.
const STATS: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total, \
     CAST(COALESCE(SUM(CASE WHEN is_verified THEN n END), 0) AS BIGINT) AS verified, \
     CAST(COALESCE(SUM(CASE WHEN NOT is_verified THEN n END), 0) AS BIGINT) AS unverified, \
     CAST(COALESCE(SUM(CASE WHEN role = 'admin' THEN n END), 0) AS BIGINT) AS admins, \
     CAST(COALESCE(SUM(CASE WHEN is_active THEN n END), 0) AS BIGINT) AS active, \
     CAST(COALESCE(SUM(CASE WHEN NOT is_active THEN n END), 0) AS BIGINT) AS disabled, \
     (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM user_registrations_hourly WHERE hour >= $2) \
       + (SELECT COUNT(*) FROM users WHERE created_at >= $1 AND created_at < $3) AS recent \
     FROM user_counts";
const COUNT_ADMINS: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin'";

/// A repository type over `$pool` for database `$db`.
macro_rules! user_repo {
    ($(#[$doc:meta])* $repo:ident, $pool:ty, $db:ty, $lock_admins:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $repo(pub $pool);

        impl $repo {
            fn record(row: &<$db as sqlx::Database>::Row) -> Result<UserRecord, sqlx::Error> {
                Ok(UserRecord {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    username: row.try_get("username")?,
                    password_hash: row.try_get("password_hash")?,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    role: row.try_get("role")?,
                    is_verified: row.try_get("is_verified")?,
                    is_active: row.try_get("is_active")?,
                    avatar_url: row.try_get("avatar_url")?,
                    avatar_key: row.try_get("avatar_key")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                    last_login_at: row.try_get("last_login_at")?,
                })
            }

            /// Runs a statement returning at most one user; none is `NotFound`.
            async fn one(
                &self,
                query: sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
            ) -> Result<UserRecord, UserError> {
                let row = query.fetch_optional(&self.0).await.map_err(write_error)?;
                let row = row.ok_or(UserError::NotFound)?;
                Ok(Self::record(&row)?)
            }

            /// Runs a write whose `WHERE` keeps an admin in place, after taking the admin lock
            /// when `lock`. No row back means the user is absent or the guard refused.
            async fn guarded(
                &self,
                id: i64,
                lock: bool,
                query: sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
            ) -> Result<UserRecord, UserError> {
                let mut tx = self.0.begin().await?;
                let lock_admins: Option<&'static str> = $lock_admins;
                if let Some(sql) = lock_admins.filter(|_| lock) {
                    sqlx::query(sql).execute(&mut *tx).await?;
                }
                let row = query.fetch_optional(&mut *tx).await.map_err(write_error)?;
                let Some(row) = row else {
                    let exists = sqlx::query(SELECT_BY_ID).bind(id).fetch_optional(&mut *tx).await?;
                    return Err(if exists.is_some() { UserError::LastAdmin } else { UserError::NotFound });
                };
                let record = Self::record(&row)?;
                tx.commit().await?;
                Ok(record)
            }

            fn bind_all<'q>(
                mut query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
                binds: &[Bind],
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
                for value in binds {
                    query = match value {
                        Bind::Text(text) => query.bind(text.clone()),
                        Bind::Bool(flag) => query.bind(*flag),
                        Bind::Int(number) => query.bind(*number),
                    };
                }
                query
            }
        }

        #[async_trait]
        impl UserRepo for $repo {
            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.create"))]
            async fn create(&self, user: NewUser) -> Result<UserRecord, UserError> {
                let key = astro_common::input::username_key(&user.username);
                let query = sqlx::query(INSERT)
                    .bind(user.email)
                    .bind(user.username)
                    .bind(key)
                    .bind(user.password_hash)
                    .bind(user.first_name)
                    .bind(user.last_name)
                    .bind(user.role.as_str())
                    .bind(user.is_verified)
                    .bind(now_micros());
                self.one(query).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.get"))]
            async fn get(&self, id: i64) -> Result<UserRecord, UserError> {
                self.one(sqlx::query(SELECT_BY_ID).bind(id)).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.get_by_email"))]
            async fn get_by_email(&self, email: &str) -> Result<UserRecord, UserError> {
                self.one(sqlx::query(SELECT_BY_EMAIL).bind(email.to_owned())).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.set_password_hash"))]
            async fn set_password_hash(&self, id: i64, hash: &str) -> Result<UserRecord, UserError> {
                let query = sqlx::query(SET_PASSWORD_HASH)
                    .bind(id)
                    .bind(hash.to_owned())
                    .bind(now_micros());
                self.one(query).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.mark_verified"))]
            async fn mark_verified(&self, id: i64) -> Result<UserRecord, UserError> {
                self.one(sqlx::query(MARK_VERIFIED).bind(id).bind(now_micros())).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.record_login"))]
            async fn record_login(&self, id: i64) -> Result<UserRecord, UserError> {
                self.one(sqlx::query(RECORD_LOGIN).bind(id).bind(now_micros())).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.update"))]
            async fn update(&self, id: i64, changes: UserChanges) -> Result<UserRecord, UserError> {
                let key = changes.username.as_deref().map(astro_common::input::username_key);
                let lock = changes.may_remove_an_admin();
                let query = sqlx::query(UPDATE)
                    .bind(id)
                    .bind(changes.email.is_some())
                    .bind(changes.email)
                    .bind(changes.username.is_some())
                    .bind(changes.username)
                    .bind(key)
                    .bind(changes.first_name.is_some())
                    .bind(changes.first_name.flatten())
                    .bind(changes.last_name.is_some())
                    .bind(changes.last_name.flatten())
                    .bind(changes.avatar_url.is_some())
                    .bind(changes.avatar_url.flatten())
                    .bind(changes.role.map(|r| r.as_str()))
                    .bind(changes.is_verified)
                    .bind(changes.is_active)
                    .bind(now_micros());
                self.guarded(id, lock, query).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.delete"))]
            async fn delete(&self, id: i64) -> Result<UserRecord, UserError> {
                self.one(sqlx::query(DELETE).bind(id)).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.delete_keeping_admin"))]
            async fn delete_keeping_admin(&self, id: i64) -> Result<UserRecord, UserError> {
                self.guarded(id, true, sqlx::query(DELETE_KEEPING_ADMIN).bind(id)).await
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.swap_avatar"))]
            async fn swap_avatar(
                &self,
                id: i64,
                expected: Option<&str>,
                key: Option<&str>,
                url: Option<&str>,
            ) -> Result<Option<UserRecord>, UserError> {
                let row = sqlx::query(SWAP_AVATAR)
                    .bind(id)
                    .bind(expected.map(str::to_owned))
                    .bind(key.map(str::to_owned))
                    .bind(url.map(str::to_owned))
                    .bind(now_micros())
                    .fetch_optional(&self.0)
                    .await?;
                Ok(row.as_ref().map(Self::record).transpose()?)
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.list"))]
            async fn list(&self, query: ListQuery) -> Result<(Vec<UserRecord>, u64), UserError> {
                let sql = list::build(&query, columns!());
                let rows = Self::bind_all(sqlx::query(AssertSqlSafe(sql.rows)), &sql.filter_binds);
                let rows = Self::bind_all(rows, &sql.page_binds).fetch_all(&self.0);
                let total = Self::bind_all(sqlx::query(AssertSqlSafe(sql.count)), &sql.filter_binds)
                    .fetch_one(&self.0);
                // Two independent reads: run them side by side rather than one after the other.
                let (rows, total) = tokio::try_join!(rows, total)?;
                let users = rows.iter().map(Self::record).collect::<Result<_, _>>()?;
                Ok((users, count(total.try_get(0)?)))
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.stats"))]
            async fn stats(&self, recent_since: i64) -> Result<Stats, UserError> {
                const HOUR: i64 = 3_600_000_000;
                let first_whole_hour = recent_since.div_euclid(HOUR) + 1;
                let row = sqlx::query(STATS)
                    .bind(recent_since)
                    .bind(first_whole_hour)
                    .bind(first_whole_hour * HOUR)
                    .fetch_one(&self.0)
                    .await?;
                let get = |name: &str| row.try_get::<i64, _>(name).map(count);
                Ok(Stats {
                    total: get("total")?,
                    verified: get("verified")?,
                    unverified: get("unverified")?,
                    admins: get("admins")?,
                    recent_registrations: get("recent")?,
                    active: get("active")?,
                    disabled: get("disabled")?,
                })
            }

            #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.count_admins"))]
            async fn count_admins(&self) -> Result<u64, UserError> {
                let admins: i64 = sqlx::query(COUNT_ADMINS).fetch_one(&self.0).await?.try_get(0)?;
                Ok(count(admins))
            }
        }
    };
}

user_repo!(
    /// Users in PostgreSQL.
    PgUserRepo,
    PgPool,
    Postgres,
    Some(LOCK_ADMINS_PG)
);
user_repo!(
    /// Users in SQLite.
    SqliteUserRepo,
    SqlitePool,
    Sqlite,
    None
);
