//! The `users` schema for both databases, embedded in the binary so that a deployed service
//! needs no migration files on disk.
use astro_store::{MigrationStep, Migrations};

const POSTGRES: &[MigrationStep] = &[
    (1, "users", include_str!("../migrations/postgres/0001_users.sql")),
    (
        2,
        "avatar_key",
        include_str!("../migrations/postgres/0002_avatar_key.sql"),
    ),
    (
        3,
        "user_counts",
        include_str!("../migrations/postgres/0003_user_counts.sql"),
    ),
    (
        4,
        "counter_shards",
        include_str!("../migrations/postgres/0004_counter_shards.sql"),
    ),
    (
        5,
        "mfa_enabled",
        include_str!("../migrations/postgres/0005_mfa_enabled.sql"),
    ),
];

const SQLITE: &[MigrationStep] = &[
    (1, "users", include_str!("../migrations/sqlite/0001_users.sql")),
    (
        2,
        "avatar_key",
        include_str!("../migrations/sqlite/0002_avatar_key.sql"),
    ),
    (
        3,
        "user_counts",
        include_str!("../migrations/sqlite/0003_user_counts.sql"),
    ),
    (
        4,
        "counter_shards",
        include_str!("../migrations/sqlite/0004_counter_shards.sql"),
    ),
    (
        5,
        "mfa_enabled",
        include_str!("../migrations/sqlite/0005_mfa_enabled.sql"),
    ),
];

/// This service's migrations, tracked in `_user_migrations`.
pub const MIGRATIONS: Migrations = Migrations {
    service: "user",
    postgres: POSTGRES,
    sqlite: SQLITE,
};
