//! Database connection by URL scheme (SQLite embedded, PostgreSQL in production) and each
//! service's own migrations, tracked in a table of its own so services never step on each
//! other's history even when they share one database.
//!
//! # Repositories: one struct, one `match` per method
//! Every service's repository is one struct holding a [`Db`], and every method dispatches on the
//! variant with [`on_pool!`]:
//!
//! ```ignore
//! on_pool!(self.db, |pool| sqlx::query_as(SELECT_BY_ID).bind(id).fetch_optional(pool).await)
//! ```
//!
//! The closure is only the macro's syntax: its body is pasted into both arms of a `match`, where
//! `pool` is a `&PgPool` in one and a `&SqlitePool` in the other. So each bind chain is written
//! once yet type-checked for both databases, and, the body being inline code, `?`, `.await` and
//! `return` act on the enclosing method and transactions (`pool.begin()`) work as usual.
//! Generic functions over `sqlx::Database` would do the same at the price of an `Encode + Type`
//! bound per bound type on every helper; the macro keeps the methods ordinary code that rustfmt
//! formats and rust-analyzer follows. The rule:
//! - SQL is `const` text with `$n` placeholders, which sqlx accepts on SQLite too.
//! - Text differs per database only where the dialects do (row locks such as
//!   `FOR UPDATE SKIP LOCKED`, advisory locks, `BEGIN IMMEDIATE`); the method picks it by
//!   matching on the [`Db`] variant before dispatching.
//! - Rows are read into `#[derive(sqlx::FromRow)]` structs (private row types where the domain
//!   type differs), not by `try_get` column by column.
//!
//! The one exception is the hottest point read, which goes through [`KeptConnections`].
mod kept;

pub use kept::KeptConnections;

use sqlx::{
    ConnectOptions, SqlSafeStr,
    migrate::{Migration, MigrationType, Migrator},
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions},
};
use std::{path::Path, str::FromStr, time::Duration};

/// How long a request waits for a pooled connection before the service answers "unavailable".
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs `body` with `pool` bound to whichever pool `db` holds; see [the crate docs](crate).
/// `db` is borrowed, so `self.db` may be passed as it is.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db {
            $crate::Db::Postgres($pool) => $body,
            $crate::Db::Sqlite($pool) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported DATABASE_URL scheme (use sqlite:// or postgres://)")]
    UnsupportedScheme,
    #[error("cannot create the database directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// One migration: version, description, SQL.
pub type MigrationStep = (i64, &'static str, &'static str);

/// A service's migrations for both databases.
pub struct Migrations {
    /// Names the service's history table: `_<service>_migrations`.
    pub service: &'static str,
    pub postgres: &'static [MigrationStep],
    pub sqlite: &'static [MigrationStep],
}

impl Db {
    /// One janitor batch: `sql` deletes at most `$2` rows older than `$1`; answers how many
    /// went. The repositories' sweeps differ only in their statement.
    pub async fn delete_batch(&self, sql: &'static str, before: i64, limit: i64) -> Result<u64, sqlx::Error> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(before)
                .bind(limit)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Connects by scheme. Accepts sqlx URLs and the original's SQLAlchemy forms:
    /// `sqlite:///./app.db` (relative), `sqlite:////abs/app.db`, `postgresql+psycopg2://…`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Self::open(url, Access::ReadWrite).await
    }

    /// Connects to someone else's database to read it: a SQLite file must exist and is
    /// neither created nor switched to WAL (that would write its header).
    pub async fn connect_read_only(url: &str) -> Result<Db, DbError> {
        Self::open(url, Access::ReadOnly).await
    }

    async fn open(url: &str, access: Access) -> Result<Db, DbError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let options = sqlite_options(rest, access)?;
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            return Ok(Db::Sqlite(pool));
        }
        let url = match url.split_once("://") {
            Some(("postgres" | "postgresql" | "postgresql+psycopg2" | "postgresql+asyncpg", rest)) => {
                format!("postgres://{rest}")
            }
            _ => return Err(DbError::UnsupportedScheme),
        };
        let options = PgConnectOptions::from_str(&url)?
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        Ok(Db::Postgres(pool))
    }

    /// Applies the service's pending migrations for this database.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), DbError> {
        let steps = match self {
            Db::Postgres(_) => migrations.postgres,
            Db::Sqlite(_) => migrations.sqlite,
        };
        let mut migrator = Migrator::with_migrations(
            steps
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        (*description).into(),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect(),
        );
        migrator.dangerous_set_table_name(format!("_{}_migrations", migrations.service));
        on_pool!(self, |pool| migrator.run(pool).await)?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// Answers whether the database can be reached (readiness).
    pub async fn ping(&self) -> bool {
        let ping = async { on_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(drop)) };
        matches!(tokio::time::timeout(ACQUIRE_TIMEOUT, ping).await, Ok(Ok(())))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
}

fn sqlite_options(rest: &str, access: Access) -> Result<SqliteConnectOptions, DbError> {
    let options = if rest.trim_start_matches('/') == ":memory:" || rest == ":memory:" {
        SqliteConnectOptions::from_str("sqlite::memory:")?
    } else {
        // SQLAlchemy: three slashes then the path (relative unless it starts with another '/').
        // sqlx: two slashes then the path.
        let path = rest
            .strip_prefix("///")
            .or_else(|| rest.strip_prefix("//"))
            .unwrap_or(rest);
        let path = path.split('?').next().unwrap_or(path);
        if access == Access::ReadOnly {
            return Ok(SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .busy_timeout(Duration::from_secs(10)));
        }
        if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        SqliteConnectOptions::new().filename(path).create_if_missing(true)
    };
    Ok(options
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true))
}

/// Whether `err` is a unique-constraint violation that mentions `column`
/// (PostgreSQL names the constraint, SQLite names `table.column` in its message).
pub fn is_unique_violation_on(err: &sqlx::Error, column: &str) -> bool {
    let Some(db_err) = err.as_database_error() else {
        return false;
    };
    db_err.is_unique_violation()
        && (db_err.constraint().is_some_and(|c| c.contains(column)) || db_err.message().contains(column))
}

/// Whether `err` means the database could not be reached (as opposed to a bad query).
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed
    ) || err.as_database_error().is_some_and(|e| {
        // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout, PostgreSQL shutting down.
        matches!(e.code().as_deref(), Some("5" | "6" | "57P01" | "57P02" | "57P03"))
    })
}
