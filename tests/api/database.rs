//! A PostgreSQL database of its own for each test, created through `TEST_DATABASE_URL`.
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

/// A PostgreSQL database created for one test.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> PgDatabase {
        Self::create_prefixed(admin_url, "astro").await
    }

    /// A database named `<prefix>_<uuid>`, so each suite's leftovers are recognisable.
    pub async fn create_prefixed(admin_url: &str, prefix: &str) -> PgDatabase {
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(admin_url)
            .await
            .expect("connecting to TEST_DATABASE_URL");
        sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut conn)
            .await
            .expect("creating the test database");
        let url = with_database(admin_url, &name);
        PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    pub async fn drop(self) {
        let result = async {
            let mut conn = PgConnection::connect(&self.admin_url).await?;
            let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await
        };
        if let Err(err) = result.await {
            eprintln!("could not drop the test database {}: {err}", self.name);
        }
    }
}

/// `admin_url` with its database name replaced by `name` (query string kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, ""), |(b, q)| (b, q));
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
