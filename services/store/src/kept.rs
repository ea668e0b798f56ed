//! Connections kept out of the pool for the hottest point read (a profile read's user row).
//!
//! sqlx hands a pooled connection back through a spawned task that first pings it: on every
//! release, a second round trip to PostgreSQL, or to SQLite's connection thread (two thread
//! wake-ups), as costly as the read itself. A kept connection goes back to a plain list
//! instead. A read that finds its connection broken (the database restarted) drops every kept
//! one and tries once more on a fresh connection from the pool; a cancelled read drops its
//! connection, which then returns to the pool the usual, checked way. Closing the pool releases
//! the kept connections, so `Pool::close` does not wait for them.
use crate::{Db, is_unavailable};
use sqlx::{
    Database, FromRow, Pool, Postgres, Sqlite, pool::PoolConnection, postgres::PgRow, sqlite::SqliteRow,
};
use std::sync::{Arc, Mutex};

/// The kept connections of one repository (clones share them); see [the module docs](self).
#[derive(Clone)]
pub struct KeptConnections(Kind);

impl std::fmt::Debug for KeptConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = match &self.0 {
            Kind::Postgres(kept) => kept.idle.lock().map_or(0, |idle| idle.len()),
            Kind::Sqlite(kept) => kept.idle.lock().map_or(0, |idle| idle.len()),
        };
        f.debug_struct("KeptConnections").field("kept", &kept).finish()
    }
}

#[derive(Clone)]
enum Kind {
    Postgres(Arc<Kept<Postgres>>),
    Sqlite(Arc<Kept<Sqlite>>),
}

struct Kept<DB: Database> {
    pool: Pool<DB>,
    idle: Mutex<Vec<PoolConnection<DB>>>,
    /// At most this many are kept: half the pool, so writes always find connections.
    max: usize,
}

impl<DB: Database> Kept<DB> {
    /// Must be called within a Tokio runtime (it watches for the pool's closing).
    fn new(pool: &Pool<DB>) -> Arc<Self> {
        let kept = Arc::new(Kept {
            pool: pool.clone(),
            idle: Mutex::new(Vec::new()),
            max: (pool.options().get_max_connections() as usize / 2).max(1),
        });
        let weak = Arc::downgrade(&kept);
        let closed = pool.close_event();
        tokio::spawn(async move {
            closed.await;
            if let Some(kept) = weak.upgrade() {
                kept.release_all();
            }
        });
        kept
    }

    async fn take(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        let idle = self.idle.lock().expect("never poisoned").pop();
        match idle {
            Some(connection) => Ok(connection),
            // Boxed: sqlx's acquire future is kilobytes, and inline it would be copied with
            // every move of the caller's future, taken or not.
            None => Box::pin(self.pool.acquire()).await,
        }
    }

    /// Keeps `connection`, or lets it go back to the pool when enough are kept or the pool is
    /// closing (checked under the lock that `release_all` takes after the pool is marked
    /// closed, so none is kept past that).
    fn keep(&self, connection: PoolConnection<DB>) {
        let mut idle = self.idle.lock().expect("never poisoned");
        if idle.len() < self.max && !self.pool.is_closed() {
            idle.push(connection);
        }
    }

    fn release_all(&self) {
        self.idle.lock().expect("never poisoned").clear();
    }
}

/// One point read on a kept connection, with one retry on a fresh connection when the kept
/// one turns out to be broken.
macro_rules! fetch_kept {
    ($kept:expr, $sql:expr, $id:expr) => {{
        let mut retried = false;
        loop {
            let mut connection = $kept.take().await?;
            let read = sqlx::query_as($sql)
                .bind($id)
                .fetch_optional(&mut *connection)
                .await;
            match read {
                Err(err) if is_unavailable(&err) && !retried => {
                    retried = true;
                    drop(connection);
                    $kept.release_all();
                }
                Ok(row) => {
                    $kept.keep(connection);
                    break Ok(row);
                }
                Err(err) => break Err(err),
            }
        }
    }};
}

impl KeptConnections {
    /// Must be called within a Tokio runtime.
    pub fn new(db: &Db) -> Self {
        KeptConnections(match db {
            Db::Postgres(pool) => Kind::Postgres(Kept::new(pool)),
            Db::Sqlite(pool) => Kind::Sqlite(Kept::new(pool)),
        })
    }

    /// The row `sql` selects with `$1` bound to `id`, if any.
    pub async fn fetch_by_id<O>(&self, sql: &'static str, id: i64) -> Result<Option<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        match &self.0 {
            Kind::Postgres(kept) => fetch_kept!(kept, sql, id),
            Kind::Sqlite(kept) => fetch_kept!(kept, sql, id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn closing_the_pool_releases_the_kept_connections() {
        let db = Db::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        let kept = KeptConnections::new(&db);
        for id in [7, 8] {
            let row: Option<(i64,)> = kept.fetch_by_id("SELECT $1", id).await.expect("a read");
            assert_eq!(row, Some((id,)));
        }
        // `Pool::close` waits for every connection: a kept one never handed back would hang it.
        tokio::time::timeout(Duration::from_secs(10), db.close())
            .await
            .expect("the pool closed although a connection was kept");
        let after = kept.fetch_by_id::<(i64,)>("SELECT $1", 9).await;
        assert!(matches!(after, Err(sqlx::Error::PoolClosed)), "{after:?}");
    }
}
