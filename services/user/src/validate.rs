//! Request fields parsed into what the repository stores. Callers validate too (the gateway
//! answers 422 before calling); this is the service's own line of defence.
use crate::{error::UserError, repo::Role};
use astro_domain::{
    Email, Username,
    input::{self, AVATAR_URL_MAX, InputError},
};

pub fn email(raw: &str) -> Result<Email, UserError> {
    Email::parse(raw).map_err(|e| UserError::invalid("email", e))
}

pub fn username(raw: &str) -> Result<Username, UserError> {
    Username::parse(raw).map_err(|e| UserError::invalid("username", e))
}

/// A first or last name; empty means none.
pub fn name(field: &'static str, raw: &str) -> Result<Option<String>, UserError> {
    input::name(raw, input::MAX_FIELD).map_err(|e| UserError::invalid(field, e))
}

/// An optional name on a create request: absent and empty both mean none.
pub fn optional_name(field: &'static str, raw: Option<&str>) -> Result<Option<String>, UserError> {
    raw.map_or(Ok(None), |raw| name(field, raw))
}

/// A role on the wire: `ROLE_USER` or `ROLE_ADMIN`.
pub fn role(wire: i32) -> Result<Role, UserError> {
    Role::from_wire(wire).ok_or(UserError::invalid("role", InputError::NotAllowed))
}

/// A new user's role, where `ROLE_UNSPECIFIED` (proto3's unset) is the default.
pub fn role_or_default(wire: i32) -> Result<Role, UserError> {
    if wire == astro_proto::user::v1::Role::Unspecified as i32 {
        Ok(Role::User)
    } else {
        role(wire)
    }
}

/// An avatar URL: http or https only (no `javascript:` or `data:` URLs reach a browser), no
/// whitespace or control characters, at most [`AVATAR_URL_MAX`] characters. Empty means none.
pub fn avatar_url(raw: &str) -> Result<Option<String>, UserError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > AVATAR_URL_MAX {
        return Err(UserError::invalid(
            "avatar_url",
            InputError::TooLong(AVATAR_URL_MAX),
        ));
    }
    let lower = value.to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let well_formed = host.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(UserError::invalid("avatar_url", InputError::NotWebUrl));
    }
    Ok(Some(value.to_owned()))
}

/// A password hash to store: anything non-empty (`auth` owns its format).
pub fn password_hash(raw: &str) -> Result<String, UserError> {
    if raw.is_empty() {
        return Err(UserError::invalid("password_hash", InputError::TooShort(1)));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_urls_must_be_web_urls() {
        assert_eq!(avatar_url("").unwrap(), None);
        assert_eq!(
            avatar_url(" https://cdn.test/a.png ").unwrap().as_deref(),
            Some("https://cdn.test/a.png")
        );
        assert!(avatar_url("HTTP://cdn.test/a.png").is_ok());
        assert!(avatar_url("javascript:alert(1)").is_err());
        assert!(avatar_url("data:image/png;base64,AAAA").is_err());
        assert!(avatar_url("https://").is_err());
        assert!(avatar_url("https://a.test/a b").is_err());
        assert!(avatar_url(&format!("https://a.test/{}", "x".repeat(500))).is_err());
    }

    #[test]
    fn roles_default_to_user() {
        assert_eq!(role_or_default(0).unwrap(), Role::User);
        assert!(role(0).is_err());
        assert_eq!(role(Role::Admin.wire()).unwrap(), Role::Admin);
        assert!(role(42).is_err());
    }
}
