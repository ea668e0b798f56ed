//! A database that exists for one test: a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database on the server of `TEST_DATABASE_URL`. Tests never share one, so they
//! run in parallel and need no cleanup between them.
use crate::{Backend, await_in_drop};
use astro_store::{Db, Migrations};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;
use uuid::Uuid;

/// A scratch database, removed when dropped (or by [`ScratchDb::remove`], from async code).
pub struct ScratchDb {
    url: String,
    place: Place,
}

enum Place {
    /// The file goes with the directory.
    Sqlite { _dir: TempDir },
    /// `None` once dropped.
    Postgres(Option<PgDatabase>),
}

impl ScratchDb {
    /// A fresh, empty database on `backend`, named `<prefix>_<uuid>` on PostgreSQL so that a
    /// suite's leftovers (from a killed run) are recognisable. `None`, with a note, for
    /// PostgreSQL when `TEST_DATABASE_URL` is unset: that variant then passes without running.
    pub async fn create(backend: Backend, prefix: &str) -> Option<ScratchDb> {
        match backend {
            Backend::Sqlite => Some(ScratchDb::sqlite(prefix)),
            Backend::Postgres => {
                let Some(server_url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
                else {
                    eprintln!("skipped: TEST_DATABASE_URL is not set");
                    return None;
                };
                Some(ScratchDb::postgres(&server_url, prefix).await)
            }
        }
    }

    /// A SQLite file `<prefix>.db` in a new temporary directory.
    pub fn sqlite(prefix: &str) -> ScratchDb {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        // `sqlite:///` and an absolute path: the form `Db::connect` reads as absolute.
        let url = format!("sqlite:///{}", dir.path().join(format!("{prefix}.db")).display());
        ScratchDb {
            url,
            place: Place::Sqlite { _dir: dir },
        }
    }

    /// A new database on the PostgreSQL server of `server_url`, whose user may create databases.
    pub async fn postgres(server_url: &str, prefix: &str) -> ScratchDb {
        let database = PgDatabase::create(server_url, prefix).await;
        ScratchDb {
            url: with_database(server_url, &database.name),
            place: Place::Postgres(Some(database)),
        }
    }

    /// The database's URL, as `DATABASE_URL` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on the database, for what no API of the code under test shows.
    pub async fn connect(&self) -> Db {
        Db::connect(&self.url)
            .await
            .unwrap_or_else(|err| panic!("connecting to the scratch database {}: {err}", self.url))
    }

    /// Drops the database now, from async code (dropping the value would block this thread).
    pub async fn remove(mut self) {
        if let Place::Postgres(database) = &mut self.place
            && let Some(database) = database.take()
        {
            database.destroy().await;
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Place::Postgres(database) = &mut self.place
            && let Some(database) = database.take()
        {
            await_in_drop(database.destroy());
        }
    }
}

/// A database created on a PostgreSQL server, to drop through the same server.
struct PgDatabase {
    server_url: String,
    name: String,
}

impl PgDatabase {
    async fn create(server_url: &str, prefix: &str) -> PgDatabase {
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(server_url)
            .await
            .expect("connecting to TEST_DATABASE_URL");
        sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut conn)
            .await
            .expect("creating the test database");
        let _ = conn.close().await;
        PgDatabase {
            server_url: server_url.to_owned(),
            name,
        }
    }

    /// `WITH (FORCE)`: connections the code under test left open must not keep it alive.
    async fn destroy(self) {
        let result = async {
            let mut conn = PgConnection::connect(&self.server_url).await?;
            let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
            conn.close().await
        };
        if let Err(err) = result.await {
            eprintln!("could not drop the test database {}: {err}", self.name);
        }
    }
}

/// `server_url` with its database name replaced by `name` (query string kept).
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, ""), |(b, q)| (b, q));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..path])
}

#[test]
fn database_name_is_replaced() {
    let url = with_database(
        "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
        "astro_x",
    );
    assert_eq!(url, "postgres://postgres@127.0.0.1:5432/astro_x?sslmode=disable");
    assert_eq!(with_database("postgres://u@h", "d"), "postgres://u@h/d");
}

/// Runs `contract` once per backend on a fresh database migrated with `migrations` (PostgreSQL
/// only when `TEST_DATABASE_URL` is set): the repository contract suites' loop.
pub async fn on_each_backend<F, Fut>(prefix: &str, migrations: &Migrations, contract: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in Backend::ALL {
        let Some(database) = ScratchDb::create(backend, prefix).await else {
            continue;
        };
        let db = database.connect().await;
        db.migrate(migrations)
            .await
            .expect("migrating the scratch database");
        contract(db.clone()).await;
        db.close().await;
        database.remove().await;
    }
}
