//! The audit-log schema for both databases, embedded in the binary.
use astro_store::{MigrationStep, Migrations};

const POSTGRES: &[MigrationStep] = &[(
    1,
    "audit events",
    include_str!("../migrations/postgres/0001_audit_events.sql"),
)];

const SQLITE: &[MigrationStep] = &[(
    1,
    "audit events",
    include_str!("../migrations/sqlite/0001_audit_events.sql"),
)];

/// This service's migrations, tracked in `_admin_migrations`.
pub const MIGRATIONS: Migrations = Migrations {
    service: "admin",
    postgres: POSTGRES,
    sqlite: SQLITE,
};
