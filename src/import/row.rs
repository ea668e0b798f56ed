//! The checks one imported row must pass (the contract's list): the register rules for the
//! email and username, a password hash the login can check, a known role (admins only when
//! allowed), names and an avatar URL as the profile accepts them, readable timestamps.
use super::source::{SourceRow, micros};
use astro_domain::{Email, Role, Username, input};
use astro_platform::time::now_micros;
use auth_service::hashing::Scheme;
use user_service::{repo::ImportedUser, validate};

/// Why a row is refused, as the report prints it (never with the hash).
pub type Refusal = String;

/// `row` as the user to store, or why not.
pub fn check(row: SourceRow, allow_admin: bool) -> Result<ImportedUser, Refusal> {
    let required = |value: Option<String>, field: &str| value.ok_or_else(|| format!("{field} is missing"));
    let email = required(row.email, "email")?;
    let email = Email::parse(&email).map_err(|e| format!("email: {e}"))?;
    let username = required(row.username, "username")?;
    let username = Username::parse(&username).map_err(|e| format!("username: {e}"))?;
    let password_hash = required(row.password_hash, "password_hash")?;
    Scheme::of(&password_hash).map_err(|e| format!("password_hash: {e}"))?;
    let role = match row.role.as_deref().map(str::trim) {
        None | Some("") => Role::User,
        Some(role) => Role::parse(role).ok_or_else(|| format!("role must be user or admin, not {role:?}"))?,
    };
    if role == Role::Admin && !allow_admin {
        return Err("an admin: admins are imported only with --allow-admin".into());
    }
    let name = |value: Option<String>, field: &str| match value {
        None => Ok(None),
        Some(value) => input::name(&value, input::MAX_FIELD).map_err(|e| format!("{field}: {e}")),
    };
    let first_name = name(row.first_name, "first_name")?;
    let last_name = name(row.last_name, "last_name")?;
    let avatar_url = match row.avatar_url {
        None => None,
        Some(url) => validate::avatar_url(&url)
            .map_err(|_| "avatar_url: must be an http or https URL of at most 500 characters")?,
    };
    let time = |value: Option<String>, field: &str| match value {
        None => Ok(None),
        Some(text) => micros(&text)
            .map(Some)
            .ok_or_else(|| format!("{field}: not a timestamp ({text:?})")),
    };
    let created_at = time(row.created_at, "created_at")?.unwrap_or_else(now_micros);
    let updated_at = time(row.updated_at, "updated_at")?.unwrap_or(created_at);
    Ok(ImportedUser {
        email,
        username,
        password_hash,
        first_name,
        last_name,
        avatar_url,
        role,
        is_verified: row.is_verified.unwrap_or(false),
        is_active: row.is_active.unwrap_or(true),
        created_at,
        updated_at,
    })
}
