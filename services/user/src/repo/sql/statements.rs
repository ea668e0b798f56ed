//! The user repository's statements. sqlx accepts `$n` placeholders on SQLite too, so each is
//! one text for both databases; only the locking around the last-admin guard and the first-admin
//! insert differs (`admin_guard.rs`, `first_admin.rs`).
use crate::repo::{Stats, count};

/// Every column of a [`UserRecord`](crate::repo::UserRecord), for the listing's dynamic SQL.
pub(super) const COLUMNS: &str = columns!();

pub(super) const SELECT_BY_ID: &str = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
pub(super) const SELECT_BY_EMAIL: &str = concat!("SELECT ", columns!(), " FROM users WHERE email = $1");
/// Takes a new user's columns as `$1`..`$9` (see `SqlUserRepo::insert`).
pub(super) const INSERT: &str = concat!(
    "INSERT INTO users (email, username, username_key, password_hash, first_name, last_name, \
     role, is_verified, is_active, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING ",
    columns!()
);
/// `$4`, when not NULL, is the hash the row must still have (a compare and swap).
pub(super) const SET_PASSWORD_HASH: &str = concat!(
    "UPDATE users SET password_hash = $2, updated_at = $3 \
     WHERE id = $1 AND ($4 IS NULL OR password_hash = $4) RETURNING ",
    columns!()
);
/// Takes an imported user's columns as `$1`..`$12` (see `SqlUserRepo::import`).
pub(super) const INSERT_IMPORTED: &str = concat!(
    "INSERT INTO users (email, username, username_key, password_hash, first_name, last_name, \
     avatar_url, role, is_verified, is_active, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
    columns!()
);
pub(super) const USERNAME_EXISTS: &str = "SELECT COUNT(*) FROM users WHERE username_key = $1";
pub(super) const MARK_VERIFIED: &str = concat!(
    "UPDATE users SET is_verified = TRUE, updated_at = $2 WHERE id = $1 RETURNING ",
    columns!()
);
pub(super) const SET_MFA_ENABLED: &str = concat!(
    "UPDATE users SET mfa_enabled = $3, updated_at = $2 WHERE id = $1 RETURNING ",
    columns!()
);
pub(super) const RECORD_LOGIN: &str = concat!(
    "UPDATE users SET last_login_at = $2, updated_at = $2 WHERE id = $1 RETURNING ",
    columns!()
);
/// One statement whatever is set: `CASE WHEN <is set> THEN <new> ELSE <old>` keeps unset
/// columns as they are at the moment of the write, so concurrent partial updates compose.
pub(super) const UPDATE: &str = concat!(
    "UPDATE users SET \
     email = CASE WHEN $2 THEN $3 ELSE email END, \
     username = CASE WHEN $4 THEN $5 ELSE username END, \
     username_key = CASE WHEN $4 THEN $6 ELSE username_key END, \
     first_name = CASE WHEN $7 THEN $8 ELSE first_name END, \
     last_name = CASE WHEN $9 THEN $10 ELSE last_name END, \
     avatar_url = CASE WHEN $11 THEN $12 ELSE avatar_url END, \
     role = COALESCE($13, role), \
     is_verified = COALESCE($14, is_verified), \
     is_active = COALESCE($15, is_active), \
     updated_at = $16 \
     WHERE id = $1 AND ((COALESCE($13, role) = 'admin' AND COALESCE($15, is_active) \
     AND COALESCE($14, is_verified)) OR ",
    another_admin_remains!(),
    ") RETURNING ",
    columns!()
);
/// `IS NOT DISTINCT FROM`: NULL (no uploaded avatar) compares equal to NULL, on PostgreSQL
/// and on SQLite (3.39+).
pub(super) const SWAP_AVATAR: &str = concat!(
    "UPDATE users SET avatar_key = $3, avatar_url = $4, updated_at = $5 \
     WHERE id = $1 AND avatar_key IS NOT DISTINCT FROM $2 RETURNING ",
    columns!()
);
pub(super) const DELETE: &str = concat!("DELETE FROM users WHERE id = $1 RETURNING ", columns!());
/// Statistics from the trigger-kept counters (migrations 3 and 4): O(1) whatever the table
/// size. Every `SUM(n)` also adds up the shard rows PostgreSQL splits each counter into.
/// `$1` is the start of the "recent" window, `$2` the first whole hour after it, `$3` that
/// hour's start: whole hours come from the hourly counts, the partial hour from the index.
/// `FILTER` works on PostgreSQL and on SQLite (3.30+), and yields BIGINT on both, where a
/// PostgreSQL `SUM` would be NUMERIC.
pub(super) const STATS: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total, \
     CAST(COALESCE(SUM(CASE WHEN is_verified THEN n END), 0) AS BIGINT) AS verified, \
     CAST(COALESCE(SUM(CASE WHEN NOT is_verified THEN n END), 0) AS BIGINT) AS unverified, \
     CAST(COALESCE(SUM(CASE WHEN role = 'admin' THEN n END), 0) AS BIGINT) AS admins, \
     CAST(COALESCE(SUM(CASE WHEN is_active THEN n END), 0) AS BIGINT) AS active, \
     CAST(COALESCE(SUM(CASE WHEN NOT is_active THEN n END), 0) AS BIGINT) AS disabled, \
     (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM user_registrations_hourly WHERE hour >= $2) \
       + (SELECT COUNT(*) FROM users WHERE created_at >= $1 AND created_at < $3) AS recent \
     FROM user_counts";
pub(super) const COUNT_ADMINS: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin'";

/// The row of [`STATS`].
#[derive(sqlx::FromRow)]
pub(super) struct StatsRow {
    total: i64,
    verified: i64,
    unverified: i64,
    admins: i64,
    recent: i64,
    active: i64,
    disabled: i64,
}

impl From<StatsRow> for Stats {
    fn from(row: StatsRow) -> Stats {
        Stats {
            total: count(row.total),
            verified: count(row.verified),
            unverified: count(row.unverified),
            admins: count(row.admins),
            recent_registrations: count(row.recent),
            active: count(row.active),
            disabled: count(row.disabled),
        }
    }
}
