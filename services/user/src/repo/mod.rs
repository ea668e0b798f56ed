//! Storage of users behind a small trait, so the gRPC layer never knows which database it runs
//! on; [`SqlUserRepo`] implements it on both.
mod list;
mod sql;

use crate::error::UserError;
use astro_store::Db;
use async_trait::async_trait;
use std::sync::Arc;

pub use sql::SqlUserRepo;

pub use astro_domain::Role;
use astro_domain::{Email, Username};

/// A stored user, password hash included (it never leaves the service except in `Credentials`).
/// Read straight from the row: its fields are the columns.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: String,
    pub is_verified: bool,
    pub is_active: bool,
    pub avatar_url: Option<String>,
    /// The storage key of the uploaded avatar the user has now, if any (never sent out).
    pub avatar_key: Option<String>,
    /// Microseconds since the Unix epoch, as are the other timestamps.
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    /// Kept by auth, which owns the factors (see `SetMfaEnabled`).
    pub mfa_enabled: bool,
}

/// A validated user to insert; `email` and `username` are already normalised.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub username: Username,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub is_verified: bool,
}

/// A user brought over from another system ([the contract's import](../../../../README.md)),
/// with their password hash and timestamps as they were.
#[derive(Clone, Debug)]
pub struct ImportedUser {
    pub email: Email,
    pub username: Username,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub is_verified: bool,
    pub is_active: bool,
    /// µs since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A validated partial update: `None` leaves a field alone; for nullable fields `Some(None)`
/// clears it.
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    pub email: Option<Email>,
    pub username: Option<Username>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub role: Option<Role>,
    pub is_verified: Option<bool>,
    pub is_active: Option<bool>,
}

impl UserChanges {
    /// Whether applying these changes could take away someone's working admin rights, so
    /// that the write must make sure another admin remains.
    pub fn may_remove_an_admin(&self) -> bool {
        self.role == Some(Role::User) || self.is_active == Some(false) || self.is_verified == Some(false)
    }
}

/// The column a listing is ordered by (ties are always broken by id, in the same direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    Email,
    Username,
}

/// A listing order: `created_at`, `email` or `username`, `-` prefixed for descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Parses the wire form; an empty string is the default (`created_at`, ascending).
    pub fn parse(value: &str) -> Option<Sort> {
        let (descending, name) = match value.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, value),
        };
        let key = match name {
            "" if !descending => SortKey::CreatedAt,
            "created_at" => SortKey::CreatedAt,
            "email" => SortKey::Email,
            "username" => SortKey::Username,
            _ => return None,
        };
        Some(Sort { key, descending })
    }
}

/// One validated page request of the admin listing.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    /// Matched literally (no wildcards) as a case-insensitive substring.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub is_verified: Option<bool>,
    pub is_active: Option<bool>,
    pub sort: Sort,
}

/// Counts for the admin dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub total: u64,
    pub verified: u64,
    pub unverified: u64,
    pub admins: u64,
    pub recent_registrations: u64,
    pub active: u64,
    pub disabled: u64,
}

/// Access to the `users` table. Absent users are [`UserError::NotFound`]; taken unique fields
/// are [`UserError::Conflict`] naming the field.
#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn create(&self, user: NewUser) -> Result<UserRecord, UserError>;
    async fn get(&self, id: i64) -> Result<UserRecord, UserError>;
    /// `email` must already be normalised.
    async fn get_by_email(&self, email: &Email) -> Result<UserRecord, UserError>;
    /// With `expected`, only if the stored hash still is that one ([`UserError::NotFound`]
    /// otherwise).
    async fn set_password_hash(
        &self,
        id: i64,
        hash: &str,
        expected: Option<&str>,
    ) -> Result<UserRecord, UserError>;
    async fn mark_verified(&self, id: i64) -> Result<UserRecord, UserError>;
    async fn record_login(&self, id: i64) -> Result<UserRecord, UserError>;
    async fn set_mfa_enabled(&self, id: i64, enabled: bool) -> Result<UserRecord, UserError>;
    /// Applies every change in one statement, so concurrent updates of different fields
    /// never undo each other. [`UserError::LastAdmin`] when it would leave no active,
    /// verified admin.
    async fn update(&self, id: i64, changes: UserChanges) -> Result<UserRecord, UserError>;
    /// Deletes the user and returns what was deleted.
    async fn delete(&self, id: i64) -> Result<UserRecord, UserError>;
    /// Deletes the user unless they are the last active, verified admin
    /// ([`UserError::LastAdmin`]).
    async fn delete_keeping_admin(&self, id: i64) -> Result<UserRecord, UserError>;
    /// Sets the avatar key and URL if the key is still `expected` (compare and swap);
    /// `Ok(None)` when it is not (or the user is gone), for the caller to look again.
    async fn swap_avatar(
        &self,
        id: i64,
        expected: Option<&str>,
        key: Option<&str>,
        url: Option<&str>,
    ) -> Result<Option<UserRecord>, UserError>;
    /// One page and the total number of matching users.
    async fn list(&self, query: ListQuery) -> Result<(Vec<UserRecord>, u64), UserError>;
    /// `recent_since` is the creation time (µs) from which a registration counts as recent.
    async fn stats(&self, recent_since: i64) -> Result<Stats, UserError>;
    async fn count_admins(&self) -> Result<u64, UserError>;
    /// Creates `user` only if no user has the admin role, the check and the insert one atomic
    /// step even across processes (replicas bootstrapping the first admin at once);
    /// `Ok(None)` when an admin exists.
    async fn create_unless_admin_exists(&self, user: NewUser) -> Result<Option<UserRecord>, UserError>;
    /// Inserts a user from another system as they were (times, avatar, flags).
    async fn import(&self, user: ImportedUser) -> Result<UserRecord, UserError>;
    /// Whether a user has this username, compared case-insensitively.
    async fn username_exists(&self, username: &Username) -> Result<bool, UserError>;
}

/// The repository for whichever database `db` is.
pub fn for_db(db: &Db) -> Arc<dyn UserRepo> {
    Arc::new(SqlUserRepo::new(db.clone()))
}

/// Maps a failed write to a conflict on the unique field it violated, if that is what it was.
fn write_error(err: sqlx::Error) -> UserError {
    use astro_store::is_unique_violation_on;
    // `username_key` before `email`: neither name contains the other, but be explicit.
    if is_unique_violation_on(&err, "username_key") {
        UserError::Conflict("username")
    } else if is_unique_violation_on(&err, "email") {
        UserError::Conflict("email")
    } else {
        UserError::Database(err)
    }
}

/// A count from SQL (never negative) as the wire's unsigned type.
fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
