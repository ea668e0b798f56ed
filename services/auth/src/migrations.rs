//! The auth service's schema, per database.
use astro_store::Migrations;

pub const MIGRATIONS: Migrations = Migrations {
    service: "auth",
    postgres: &[
        (1, "auth", include_str!("../migrations/postgres/0001_auth.sql")),
        (
            2,
            "expiry",
            include_str!("../migrations/postgres/0002_expiry.sql"),
        ),
        (
            3,
            "refresh grace",
            include_str!("../migrations/postgres/0003_refresh_grace.sql"),
        ),
        (4, "mfa", include_str!("../migrations/postgres/0004_mfa.sql")),
        (
            5,
            "signing keys",
            include_str!("../migrations/postgres/0005_signing_keys.sql"),
        ),
    ],
    sqlite: &[
        (1, "auth", include_str!("../migrations/sqlite/0001_auth.sql")),
        (2, "expiry", include_str!("../migrations/sqlite/0002_expiry.sql")),
        (
            3,
            "refresh grace",
            include_str!("../migrations/sqlite/0003_refresh_grace.sql"),
        ),
        (4, "mfa", include_str!("../migrations/sqlite/0004_mfa.sql")),
        (
            5,
            "signing keys",
            include_str!("../migrations/sqlite/0005_signing_keys.sql"),
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use astro_store::Db;

    /// Sessions from before 0002 take the expiry of their newest refresh token, or expire at
    /// creation when they have none (nothing can refresh them).
    #[tokio::test]
    async fn existing_sessions_take_their_newest_refresh_tokens_expiry() {
        let name = format!("auth-migration-{}.db", uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(name);
        let db = Db::connect(&format!("sqlite:///{}", path.display()))
            .await
            .unwrap();
        let first = Migrations {
            service: "auth",
            postgres: &MIGRATIONS.postgres[..1],
            sqlite: &MIGRATIONS.sqlite[..1],
        };
        db.migrate(&first).await.unwrap();
        let Db::Sqlite(pool) = &db else {
            unreachable!("a sqlite:// URL")
        };
        sqlx::raw_sql(
            "INSERT INTO sessions (id, user_id, created_at) VALUES ('a', 1, 10), ('b', 1, 20);
             INSERT INTO refresh_tokens (jti, session_id, user_id, expires_at)
             VALUES ('a1', 'a', 1, 100), ('a2', 'a', 1, 300), ('a3', 'a', 1, 200);",
        )
        .execute(pool)
        .await
        .unwrap();
        db.migrate(&MIGRATIONS).await.unwrap();
        let sessions: Vec<(String, i64)> = sqlx::query_as("SELECT id, expires_at FROM sessions ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        assert_eq!(sessions, [("a".to_owned(), 300), ("b".to_owned(), 20)]);
    }
}
