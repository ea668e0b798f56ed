//! The notification service's schema, per database.
use astro_store::Migrations;

/// This service's schema, tracked in `_notification_migrations`.
pub const MIGRATIONS: Migrations = Migrations {
    service: "notification",
    postgres: &[
        (
            1,
            "email queue",
            include_str!("../migrations/postgres/0001_email_queue.sql"),
        ),
        (
            2,
            "sent index",
            include_str!("../migrations/postgres/0002_sent_at_index.sql"),
        ),
    ],
    sqlite: &[
        (
            1,
            "email queue",
            include_str!("../migrations/sqlite/0001_email_queue.sql"),
        ),
        (
            2,
            "sent index",
            include_str!("../migrations/sqlite/0002_sent_at_index.sql"),
        ),
    ],
};
