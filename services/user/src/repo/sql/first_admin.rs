//! The first admin: inserted only while no admin exists. Replicas of the auth service that
//! start at once each try to create the configured admin (possibly with different settings,
//! during a rolling update); the existence check and the insert must be one step for exactly
//! one of them to succeed.
use astro_store::Db;

/// Inserts like `INSERT` unless a user with the admin role exists; no row back when one does.
pub(super) const INSERT_UNLESS_ADMIN: &str = concat!(
    "INSERT INTO users (email, username, username_key, password_hash, first_name, last_name, \
     role, is_verified, is_active, created_at, updated_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9 \
     WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin') RETURNING ",
    columns!()
);

/// PostgreSQL under READ COMMITTED gives each statement its own snapshot, so two concurrent
/// inserts would both see no admin. A transaction-scoped advisory lock serialises them: the
/// second one's statement starts after the first commits, and sees its admin.
const LOCK_PG: &str = "SELECT pg_advisory_xact_lock(hashtext('astro_auth.users.first_admin'))";

/// How the insert's transaction begins on `db`, and the statement it runs first, if any.
/// SQLite: `BEGIN IMMEDIATE` takes the database's single write lock before the check reads
/// anything, so no other writer can insert an admin in between.
pub(super) fn serialised(db: &Db) -> (&'static str, Option<&'static str>) {
    match db {
        Db::Postgres(_) => ("BEGIN", Some(LOCK_PG)),
        Db::Sqlite(_) => ("BEGIN IMMEDIATE", None),
    }
}
