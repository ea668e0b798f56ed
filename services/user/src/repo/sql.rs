//! The users table on either database: one struct over [`Db`], each method one [`on_pool!`]
//! dispatch (the rule is in `astro_store`). The statements are in `sql/statements.rs`.
use super::{
    ImportedUser, ListQuery, NewUser, Stats, UserChanges, UserError, UserRecord, UserRepo, count,
    list::{self, Bind},
    write_error,
};
use astro_domain::{Email, Username};
use astro_platform::time::now_micros;
use astro_store::{Db, KeptConnections, on_pool};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

/// Every column, in [`UserRecord`]'s order (a macro so that `concat!` can splice it).
macro_rules! columns {
    () => {
        "id, email, username, password_hash, first_name, last_name, role, is_verified, \
         is_active, avatar_url, avatar_key, created_at, updated_at, last_login_at, mfa_enabled"
    };
}

// The last-admin guard; its macro is used by `UPDATE` in `statements`.
#[macro_use]
mod admin_guard;
mod first_admin;
mod statements;

use admin_guard::Guarded;
use first_admin::INSERT_UNLESS_ADMIN;
use statements::*;

/// Users in whichever database the service runs on.
#[derive(Clone, Debug)]
pub struct SqlUserRepo {
    db: Db,
    /// For `get`: every authenticated request reads its caller's row.
    kept: KeptConnections,
}

impl SqlUserRepo {
    /// Must be called within a Tokio runtime (see [`KeptConnections`]).
    pub fn new(db: Db) -> Self {
        let kept = KeptConnections::new(&db);
        SqlUserRepo { db, kept }
    }

    /// Runs a one-row `UPDATE … WHERE id = $1` that stamps `$2` (now) and returns the row.
    async fn stamp(&self, sql: &'static str, id: i64) -> Result<UserRecord, UserError> {
        let now = now_micros();
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(sql).bind(id).bind(now).fetch_optional(pool).await
        }))
    }

    /// Inserts `user`; with `unless_admin_exists`, only while no admin exists, the check and the
    /// insert serialised against other such inserts (see `first_admin.rs`).
    async fn insert(
        &self,
        user: NewUser,
        unless_admin_exists: bool,
    ) -> Result<Option<UserRecord>, UserError> {
        let (sql, serialised) = if unless_admin_exists {
            (INSERT_UNLESS_ADMIN, Some(first_admin::serialised(&self.db)))
        } else {
            (INSERT, None)
        };
        let key = user.username.key();
        on_pool!(self.db, |pool| {
            let query = sqlx::query_as(sql)
                .bind(user.email.into_inner())
                .bind(user.username.into_inner())
                .bind(key)
                .bind(user.password_hash)
                .bind(user.first_name)
                .bind(user.last_name)
                .bind(user.role.as_str())
                .bind(user.is_verified)
                .bind(now_micros());
            match serialised {
                None => query.fetch_optional(pool).await.map_err(write_error),
                Some((begin, lock)) => {
                    let mut tx = pool.begin_with(begin).await?;
                    if let Some(lock) = lock {
                        sqlx::query(lock).execute(&mut *tx).await?;
                    }
                    let row = query.fetch_optional(&mut *tx).await.map_err(write_error)?;
                    tx.commit().await?;
                    Ok(row)
                }
            }
        })
    }
}

/// A statement's one row, absent being `NotFound`, failures mapped as writes.
fn found(row: Result<Option<UserRecord>, sqlx::Error>) -> Result<UserRecord, UserError> {
    row.map_err(write_error)?.ok_or(UserError::NotFound)
}

#[async_trait]
impl UserRepo for SqlUserRepo {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.create"))]
    async fn create(&self, user: NewUser) -> Result<UserRecord, UserError> {
        let email = user.email.clone();
        match self.insert(user, false).await {
            Ok(row) => row.ok_or(UserError::NotFound),
            // The original reports a taken email before a taken username. Which unique index a
            // database checks first is its own business, so look: the row that won is
            // committed by now (a unique violation waits for it).
            Err(UserError::Conflict("username")) => {
                let email_taken = on_pool!(self.db, |pool| {
                    let row = sqlx::query(SELECT_BY_EMAIL)
                        .bind(email.as_str())
                        .fetch_optional(pool)
                        .await?;
                    row.is_some()
                });
                Err(UserError::Conflict(if email_taken {
                    "email"
                } else {
                    "username"
                }))
            }
            Err(other) => Err(other),
        }
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.get"))]
    async fn get(&self, id: i64) -> Result<UserRecord, UserError> {
        found(self.kept.fetch_by_id(SELECT_BY_ID, id).await)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.get_by_email"))]
    async fn get_by_email(&self, email: &Email) -> Result<UserRecord, UserError> {
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(SELECT_BY_EMAIL)
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
        }))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.set_password_hash"))]
    async fn set_password_hash(
        &self,
        id: i64,
        hash: &str,
        expected: Option<&str>,
    ) -> Result<UserRecord, UserError> {
        let now = now_micros();
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(SET_PASSWORD_HASH)
                .bind(id)
                .bind(hash)
                .bind(now)
                .bind(expected)
                .fetch_optional(pool)
                .await
        }))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.mark_verified"))]
    async fn mark_verified(&self, id: i64) -> Result<UserRecord, UserError> {
        self.stamp(MARK_VERIFIED, id).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.record_login"))]
    async fn record_login(&self, id: i64) -> Result<UserRecord, UserError> {
        self.stamp(RECORD_LOGIN, id).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.set_mfa_enabled"))]
    async fn set_mfa_enabled(&self, id: i64, enabled: bool) -> Result<UserRecord, UserError> {
        let now = now_micros();
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(SET_MFA_ENABLED)
                .bind(id)
                .bind(now)
                .bind(enabled)
                .fetch_optional(pool)
                .await
        }))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.update"))]
    async fn update(&self, id: i64, changes: UserChanges) -> Result<UserRecord, UserError> {
        self.guarded(id, Guarded::Update(changes)).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.delete"))]
    async fn delete(&self, id: i64) -> Result<UserRecord, UserError> {
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(DELETE).bind(id).fetch_optional(pool).await
        }))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.delete_keeping_admin"))]
    async fn delete_keeping_admin(&self, id: i64) -> Result<UserRecord, UserError> {
        self.guarded(id, Guarded::Delete).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.swap_avatar"))]
    async fn swap_avatar(
        &self,
        id: i64,
        expected: Option<&str>,
        key: Option<&str>,
        url: Option<&str>,
    ) -> Result<Option<UserRecord>, UserError> {
        let now = now_micros();
        let row = on_pool!(self.db, |pool| {
            sqlx::query_as(SWAP_AVATAR)
                .bind(id)
                .bind(expected)
                .bind(key)
                .bind(url)
                .bind(now)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.list"))]
    async fn list(&self, query: ListQuery) -> Result<(Vec<UserRecord>, u64), UserError> {
        let sql = list::build(&query, COLUMNS);
        let (users, total): (Vec<UserRecord>, i64) = on_pool!(self.db, |pool| {
            let mut rows = sqlx::query_as(AssertSqlSafe(sql.rows));
            let mut total = sqlx::query_scalar(AssertSqlSafe(sql.count));
            for value in sql.filter_binds {
                (rows, total) = match value {
                    Bind::Text(text) => (rows.bind(text.clone()), total.bind(text)),
                    Bind::Bool(flag) => (rows.bind(flag), total.bind(flag)),
                };
            }
            let [limit, offset] = sql.page_binds;
            let rows = rows.bind(limit).bind(offset).fetch_all(pool);
            // Two independent reads: run them side by side rather than one after the other.
            tokio::try_join!(rows, total.fetch_one(pool))
        })?;
        Ok((users, count(total)))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.stats"))]
    async fn stats(&self, recent_since: i64) -> Result<Stats, UserError> {
        const HOUR: i64 = 3_600_000_000;
        let first_whole_hour = recent_since.div_euclid(HOUR) + 1;
        let row: StatsRow = on_pool!(self.db, |pool| {
            sqlx::query_as(STATS)
                .bind(recent_since)
                .bind(first_whole_hour)
                .bind(first_whole_hour * HOUR)
                .fetch_one(pool)
                .await
        })?;
        Ok(row.into())
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.count_admins"))]
    async fn count_admins(&self) -> Result<u64, UserError> {
        let admins: i64 = on_pool!(self.db, |pool| {
            sqlx::query_scalar(COUNT_ADMINS).fetch_one(pool).await
        })?;
        Ok(count(admins))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.create_unless_admin_exists"))]
    async fn create_unless_admin_exists(&self, user: NewUser) -> Result<Option<UserRecord>, UserError> {
        self.insert(user, true).await
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.import"))]
    async fn import(&self, user: ImportedUser) -> Result<UserRecord, UserError> {
        let key = user.username.key();
        found(on_pool!(self.db, |pool| {
            sqlx::query_as(INSERT_IMPORTED)
                .bind(user.email.as_str())
                .bind(user.username.as_str())
                .bind(&key)
                .bind(&user.password_hash)
                .bind(&user.first_name)
                .bind(&user.last_name)
                .bind(&user.avatar_url)
                .bind(user.role.as_str())
                .bind(user.is_verified)
                .bind(user.is_active)
                .bind(user.created_at)
                .bind(user.updated_at)
                .fetch_optional(pool)
                .await
        }))
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "user.username_exists"))]
    async fn username_exists(&self, username: &Username) -> Result<bool, UserError> {
        let key = username.key();
        let count: i64 = on_pool!(self.db, |pool| {
            sqlx::query_scalar(USERNAME_EXISTS)
                .bind(&key)
                .fetch_one(pool)
                .await
        })?;
        Ok(count > 0)
    }
}
