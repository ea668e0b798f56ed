//! Small domain types, parsed once where data enters (the gateway, or a service reading a
//! request) so the code behind them never re-checks a string.
use crate::input::{self, InputError};
use astro_proto::user::v1::Role as WireRole;
use std::fmt;

/// What a user may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    /// The stored (and JSON) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored spelling; anything else is not a role.
    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The role a proto enum value names; `ROLE_UNSPECIFIED` and unknown numbers name none.
    pub fn from_wire(value: i32) -> Option<Role> {
        match WireRole::try_from(value).ok()? {
            WireRole::User => Some(Role::User),
            WireRole::Admin => Some(Role::Admin),
            WireRole::Unspecified => None,
        }
    }

    /// The proto enum value, as prost stores it.
    pub fn wire(self) -> i32 {
        match self {
            Role::User => WireRole::User as i32,
            Role::Admin => WireRole::Admin as i32,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `user` may do admin work: an active admin with a verified email.
pub fn holds_admin_rights(user: &astro_proto::user::v1::User) -> bool {
    Role::from_wire(user.role) == Some(Role::Admin) && user.is_active && user.is_verified
}

/// An email address as stored and compared: trimmed, NFC, lower-case, well-formed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InputError> {
        input::email(raw).map(Email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A username: `[A-Za-z0-9_.-]`, 3-100 characters, case kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, InputError> {
        input::username(raw).map(Username)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes usernames unique regardless of case.
    pub fn key(&self) -> String {
        input::username_key(&self.0)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One page of a listing: 1-based, at most [`input::MAX_PER_PAGE`] items. On the wire 0 means
/// the default (page 1, 20 items), as proto3 sends unset numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub per_page: u32,
}

impl Page {
    pub const DEFAULT_PER_PAGE: u32 = 20;

    pub fn from_wire(number: u32, per_page: u32) -> Result<Page, InputError> {
        let per_page = match per_page {
            0 => Self::DEFAULT_PER_PAGE,
            n if n > input::MAX_PER_PAGE => return Err(InputError::TooLarge(input::MAX_PER_PAGE)),
            n => n,
        };
        Ok(Page {
            number: number.max(1),
            per_page,
        })
    }

    /// The SQL `LIMIT`.
    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }

    /// The SQL `OFFSET`.
    pub fn offset(self) -> i64 {
        (i64::from(self.number) - 1) * i64::from(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_cross_the_wire_and_storage() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(Role::from_wire(role.wire()), Some(role));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_wire(WireRole::Unspecified as i32), None);
        assert_eq!(Role::from_wire(42), None);
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn pages_default_and_are_bounded() {
        let page = Page::from_wire(0, 0).unwrap();
        assert_eq!((page.limit(), page.offset()), (20, 0));
        assert_eq!(Page::from_wire(3, 100).unwrap().offset(), 200);
        assert_eq!(Page::from_wire(1, 101), Err(InputError::TooLarge(100)));
    }

    #[test]
    fn emails_and_usernames_are_normalised_once() {
        assert_eq!(Email::parse(" A@B.example ").unwrap().as_str(), "a@b.example");
        assert!(Email::parse("nope").is_err());
        let name = Username::parse(" Bob_1 ").unwrap();
        assert_eq!((name.as_str(), name.key().as_str()), ("Bob_1", "bob_1"));
    }
}
