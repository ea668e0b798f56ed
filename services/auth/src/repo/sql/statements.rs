//! The auth repository's statements. sqlx accepts `$n` placeholders on SQLite too, so each is
//! one text for both databases, except the janitor's batch selection: PostgreSQL locks the
//! batch with `SKIP LOCKED`, so replicas sweeping at once delete disjoint rows; SQLite has one
//! writer at a time and no such clause.
use crate::repo::Expiring;
use astro_store::Db;

pub(super) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (id, user_id, created_at, last_used_at, ip, user_agent, expires_at, aal, auth_time) \
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)";
/// Reauthentication of a live session: its new assurance level and time.
pub(super) const REAUTHENTICATE_SESSION: &str = "UPDATE sessions SET aal = $2, auth_time = $3 \
     WHERE id = $1 AND revoked_at IS NULL AND expires_at > $4";
/// A refresh uses its session: from where, with what, when.
pub(super) const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_used_at = $2, ip = $3, user_agent = $4 WHERE id = $1";
/// A user's live sessions, most recently used first.
pub(super) const LIST_SESSIONS: &str = "SELECT id, created_at, last_used_at, expires_at, ip, user_agent, aal \
     FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
     ORDER BY last_used_at DESC, created_at DESC";
/// Revokes session `$2` if it is a live session of user `$1`.
pub(super) const REVOKE_OWN_SESSION: &str = "UPDATE sessions SET revoked_at = $3 \
     WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $3 RETURNING id";
pub(super) const INSERT_REFRESH: &str =
    "INSERT INTO refresh_tokens (jti, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4)";
/// Consumes a live refresh token of a live session, naming its successor (`$3`, issued at
/// `$4`, expiring at `$5`, seconds): the one compare-and-swap that decides a rotation.
pub(super) const CONSUME_REFRESH: &str = "UPDATE refresh_tokens \
     SET used_at = $2, successor_jti = $3, successor_iat = $4, successor_exp = $5 \
     WHERE jti = $1 AND used_at IS NULL AND expires_at > $2 \
       AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) \
     RETURNING session_id";
/// The successor of a token rotated since `$2` whose successor is still the session's live
/// token (exactly one generation behind), in a session not revoked: the grace answer.
pub(super) const GRACE_SUCCESSOR: &str = "SELECT r.successor_jti, r.successor_iat, r.successor_exp \
     FROM refresh_tokens r \
     JOIN refresh_tokens s ON s.jti = r.successor_jti \
     JOIN sessions ON sessions.id = r.session_id \
     WHERE r.jti = $1 AND r.used_at >= $2 AND s.used_at IS NULL AND s.expires_at > $3 \
       AND sessions.revoked_at IS NULL";
/// The session lives as long as its newest refresh token.
pub(super) const EXTEND_SESSION: &str =
    "UPDATE sessions SET expires_at = $2 WHERE id = $1 AND expires_at < $2";
pub(super) const USED_REFRESH_SESSION: &str =
    "SELECT session_id FROM refresh_tokens WHERE jti = $1 AND used_at IS NOT NULL";
pub(super) const REVOKE_SESSION: &str =
    "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
pub(super) const USE_SESSION_REFRESH: &str =
    "UPDATE refresh_tokens SET used_at = $2 WHERE session_id = $1 AND used_at IS NULL";
pub(super) const REVOKE_USER_SESSIONS: &str =
    "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id";
pub(super) const USE_USER_REFRESH: &str =
    "UPDATE refresh_tokens SET used_at = $3 WHERE user_id = $1 AND session_id <> $2 AND used_at IS NULL";
pub(super) const SUPERSEDE_ONE_TIME: &str =
    "UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL";
pub(super) const INSERT_ONE_TIME: &str = "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5)";
pub(super) const PEEK_ONE_TIME: &str = "SELECT user_id FROM one_time_tokens \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3";
pub(super) const CONSUME_ONE_TIME: &str = "UPDATE one_time_tokens SET used_at = $3 \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id";
pub(super) const INSERT_EMAIL: &str = "INSERT INTO email_outbox \
     (idempotency_key, user_id, kind, recipient, name, token, created_at, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
pub(super) const DUE_EMAILS: &str = "SELECT id, idempotency_key, kind, recipient, name, token, attempts \
     FROM email_outbox WHERE next_attempt_at <= $1 ORDER BY id LIMIT $2";
pub(super) const DELETE_EMAIL: &str = "DELETE FROM email_outbox WHERE id = $1";
pub(super) const RETRY_EMAIL: &str =
    "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1";
/// A user's rows in every table but the outbox, refresh tokens before their sessions.
pub(super) const DELETE_USER_ROWS: [&str; 6] = [
    "DELETE FROM refresh_tokens WHERE user_id = $1",
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM one_time_tokens WHERE user_id = $1",
    "DELETE FROM mfa_factors WHERE user_id = $1",
    "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
    "DELETE FROM mfa_challenges WHERE user_id = $1",
];
pub(super) const USER_EMAILS: &str = "SELECT id, kind FROM email_outbox WHERE user_id = $1";

/// A row of [`USER_EMAILS`].
#[derive(sqlx::FromRow)]
pub(super) struct UserEmail {
    pub id: i64,
    pub kind: i32,
}

/// Deletes at most `$2` rows of `table` that expired before `$1`.
pub(super) fn delete_expired_sql(db: &Db, table: Expiring) -> &'static str {
    match (db, table) {
        (Db::Postgres(_), Expiring::RefreshTokens) => {
            "DELETE FROM refresh_tokens WHERE jti IN \
             (SELECT jti FROM refresh_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        }
        (Db::Sqlite(_), Expiring::RefreshTokens) => {
            "DELETE FROM refresh_tokens WHERE jti IN \
             (SELECT jti FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)"
        }
        (Db::Postgres(_), Expiring::Sessions) => {
            "DELETE FROM sessions WHERE id IN \
             (SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        }
        (Db::Sqlite(_), Expiring::Sessions) => {
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2)"
        }
        (Db::Postgres(_), Expiring::OneTimeTokens) => {
            "DELETE FROM one_time_tokens WHERE token_hash IN \
             (SELECT token_hash FROM one_time_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        }
        (Db::Sqlite(_), Expiring::OneTimeTokens) => {
            "DELETE FROM one_time_tokens WHERE token_hash IN \
             (SELECT token_hash FROM one_time_tokens WHERE expires_at < $1 LIMIT $2)"
        }
    }
}
