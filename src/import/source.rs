//! Where imported users come from: the original backend's `users` table (SQLite or
//! PostgreSQL, any of its `DATABASE_URL` forms, opened read-only), or a JSON Lines file.
use anyhow::Context;
use astro_store::{Db, on_pool};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use std::path::Path;

/// One user as the source has it, before any check.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SourceRow {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<String>,
    pub is_verified: Option<bool>,
    pub is_active: Option<bool>,
    pub avatar_url: Option<String>,
    /// RFC 3339 in a file; the original's naive UTC text from a database.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A row with what names it in the report: its email, or its line in a file.
pub struct Labelled {
    pub label: String,
    pub row: Result<SourceRow, String>,
}

/// The original's users, oldest first. Its columns, as SQLAlchemy's `create_all` made them;
/// the timestamps read as text on both databases.
const SELECT_ORIGINAL_USERS: &str = "SELECT email, username, password_hash, first_name, last_name, role, \
     is_verified, avatar_url, CAST(created_at AS TEXT) AS created_at, \
     CAST(updated_at AS TEXT) AS updated_at FROM users ORDER BY id";

#[derive(sqlx::FromRow)]
struct OriginalUser {
    email: Option<String>,
    username: Option<String>,
    password_hash: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    role: Option<String>,
    is_verified: Option<bool>,
    avatar_url: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

/// Every user of the original backend at `url`. Nothing is written there.
pub async fn from_database(url: &str) -> anyhow::Result<Vec<Labelled>> {
    let db = Db::connect_read_only(url)
        .await
        .with_context(|| "opening the original's database (--from)")?;
    let users: Vec<OriginalUser> = on_pool!(db, |pool| {
        sqlx::query_as(SELECT_ORIGINAL_USERS).fetch_all(pool).await
    })
    .context("reading the original's users table")?;
    db.close().await;
    Ok(users
        .into_iter()
        .enumerate()
        .map(|(index, user)| Labelled {
            label: user.email.clone().unwrap_or_else(|| format!("row {}", index + 1)),
            row: Ok(SourceRow {
                email: user.email,
                username: user.username,
                password_hash: user.password_hash,
                first_name: user.first_name,
                last_name: user.last_name,
                role: user.role,
                is_verified: user.is_verified,
                // The original has no such column: its users are active.
                is_active: Some(true),
                avatar_url: user.avatar_url,
                created_at: user.created_at,
                updated_at: user.updated_at,
            }),
        })
        .collect())
}

/// Every line of a JSON Lines file (blank lines skipped), each labelled by its line number.
pub fn from_file(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| Labelled {
            label: format!("line {}", index + 1),
            // serde's message names the field and the position, never the values.
            row: serde_json::from_str(line).map_err(|err| format!("not a user object: {err}")),
        })
        .collect())
}

/// A timestamp as µs since the epoch: RFC 3339, or the naive UTC the original stored
/// (`2024-05-01 12:30:00.123456`, as SQLite and PostgreSQL print it).
pub fn micros(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_micros());
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| at.and_utc().timestamp_micros())
        .or_else(|| {
            DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
                .ok()
                .map(|at| at.timestamp_micros())
        })
}

#[cfg(test)]
mod tests {
    use super::micros;

    #[test]
    fn timestamps_of_every_source_form() {
        let expected = Some(1_714_566_600_123_456);
        assert_eq!(micros("2024-05-01 12:30:00.123456"), expected);
        assert_eq!(micros("2024-05-01T12:30:00.123456"), expected);
        assert_eq!(micros("2024-05-01T12:30:00.123456Z"), expected);
        assert_eq!(micros("2024-05-01 14:30:00.123456+02"), expected);
        assert_eq!(micros("2024-05-01 12:30:00"), Some(1_714_566_600_000_000));
        assert_eq!(micros("yesterday"), None);
    }
}
