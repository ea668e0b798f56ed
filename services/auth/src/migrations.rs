//! The auth service's schema, per database.
use astro_common::db::Migrations;

pub const MIGRATIONS: Migrations = Migrations {
    service: "auth",
    postgres: &[(1, "auth", include_str!("../migrations/postgres/0001_auth.sql"))],
    sqlite: &[(1, "auth", include_str!("../migrations/sqlite/0001_auth.sql"))],
};
