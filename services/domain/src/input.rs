//! Input rules shared by the edge (which turns a refusal into a 422) and the services (which
//! re-check what they rely on). Everything is trimmed and NFC-normalised before it is stored
//! or compared, so visually equal strings are equal.
use crate::password_policy;
use unicode_normalization::UnicodeNormalization;

pub const USERNAME_MIN: usize = 3;
pub const MAX_FIELD: usize = 100;
/// Longest accepted avatar URL.
pub const AVATAR_URL_MAX: usize = 500;
/// Largest page of a listing.
pub const MAX_PER_PAGE: u32 = 100;
/// Largest avatar upload accepted, before any decoding (the contract's "5MB").
pub const AVATAR_MAX_BYTES: usize = 5 * 1024 * 1024;

/// Why a value was refused. The contract's wording of each (pydantic's) belongs to the
/// gateway; `Display` is a neutral description for logs and gRPC callers.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("not a valid email address: {0}")]
    Email(EmailProblem),
    #[error("must have at least {0} characters")]
    TooShort(usize),
    #[error("must have at most {0} characters")]
    TooLong(usize),
    #[error("may only contain letters, digits, '_', '.' and '-'")]
    UsernameCharacters,
    #[error("must not contain control characters")]
    ControlCharacters,
    #[error("must be one of the listed values")]
    NotAllowed,
    #[error("must be at most {0}")]
    TooLarge(u32),
    #[error("must be an http or https URL")]
    NotWebUrl,
    #[error("must not contain the user's username or email")]
    PasswordContainsIdentity,
    #[error("too weak or too common")]
    PasswordTooWeak,
}

/// What is wrong with an email address.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum EmailProblem {
    #[error("no @-sign")]
    NoAtSign,
    #[error("nothing before the @-sign")]
    NothingBeforeAt,
    #[error("invalid domain")]
    BadDomain,
    #[error("malformed")]
    Malformed,
}

impl InputError {
    /// The rule's stable name, sent as a field violation's reason.
    pub fn reason(&self) -> &'static str {
        match self {
            InputError::Email(EmailProblem::NoAtSign) => "EMAIL_NO_AT_SIGN",
            InputError::Email(EmailProblem::NothingBeforeAt) => "EMAIL_NOTHING_BEFORE_AT",
            InputError::Email(EmailProblem::BadDomain) => "EMAIL_BAD_DOMAIN",
            InputError::Email(EmailProblem::Malformed) => "EMAIL_MALFORMED",
            InputError::TooShort(_) => "TOO_SHORT",
            InputError::TooLong(_) => "TOO_LONG",
            InputError::UsernameCharacters => "USERNAME_CHARACTERS",
            InputError::ControlCharacters => "CONTROL_CHARACTERS",
            InputError::NotAllowed => "NOT_ALLOWED",
            InputError::TooLarge(_) => "TOO_LARGE",
            InputError::NotWebUrl => "NOT_WEB_URL",
            InputError::PasswordContainsIdentity => "PASSWORD_CONTAINS_IDENTITY",
            InputError::PasswordTooWeak => "PASSWORD_TOO_WEAK",
        }
    }

    /// The error a field violation's reason stands for; the length limits are the field's own,
    /// which the rules below fix.
    pub fn from_reason(field: &str, reason: &str) -> Option<InputError> {
        let (min, max) = match field {
            "username" => (USERNAME_MIN, MAX_FIELD),
            "avatar_url" => (0, AVATAR_URL_MAX),
            "password" | "new_password" => (password_policy::MIN_LEN, password_policy::MAX_LEN),
            _ => (0, MAX_FIELD),
        };
        Some(match reason {
            "EMAIL_NO_AT_SIGN" => InputError::Email(EmailProblem::NoAtSign),
            "EMAIL_NOTHING_BEFORE_AT" => InputError::Email(EmailProblem::NothingBeforeAt),
            "EMAIL_BAD_DOMAIN" => InputError::Email(EmailProblem::BadDomain),
            "EMAIL_MALFORMED" => InputError::Email(EmailProblem::Malformed),
            "TOO_SHORT" => InputError::TooShort(min),
            "TOO_LONG" => InputError::TooLong(max),
            "USERNAME_CHARACTERS" => InputError::UsernameCharacters,
            "CONTROL_CHARACTERS" => InputError::ControlCharacters,
            "NOT_ALLOWED" => InputError::NotAllowed,
            "TOO_LARGE" => InputError::TooLarge(MAX_PER_PAGE),
            "NOT_WEB_URL" => InputError::NotWebUrl,
            "PASSWORD_CONTAINS_IDENTITY" => InputError::PasswordContainsIdentity,
            "PASSWORD_TOO_WEAK" => InputError::PasswordTooWeak,
            _ => return None,
        })
    }
}

fn nfc_trimmed(raw: &str) -> String {
    raw.trim().nfc().collect()
}

/// An email address as stored and compared: trimmed, NFC, lower-case.
pub fn email(raw: &str) -> Result<String, InputError> {
    let value = nfc_trimmed(raw).to_lowercase();
    let Some((local, domain)) = value.split_once('@') else {
        return Err(InputError::Email(EmailProblem::NoAtSign));
    };
    if local.is_empty() {
        return Err(InputError::Email(EmailProblem::NothingBeforeAt));
    }
    if domain.is_empty() || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(InputError::Email(EmailProblem::BadDomain));
    }
    if value.chars().count() > 254 || !email_address::EmailAddress::is_valid(&value) {
        return Err(InputError::Email(EmailProblem::Malformed));
    }
    Ok(value)
}

/// A username: `[A-Za-z0-9_.-]`, 3-100 characters, case kept (uniqueness ignores case).
pub fn username(raw: &str) -> Result<String, InputError> {
    let value = nfc_trimmed(raw);
    let len = value.chars().count();
    if len < USERNAME_MIN {
        return Err(InputError::TooShort(USERNAME_MIN));
    }
    if len > MAX_FIELD {
        return Err(InputError::TooLong(MAX_FIELD));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(InputError::UsernameCharacters);
    }
    Ok(value)
}

/// The key that makes usernames unique regardless of case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// A first or last name: trimmed, NFC, at most `max` characters, no control characters.
/// An empty result means "no name".
pub fn name(raw: &str, max: usize) -> Result<Option<String>, InputError> {
    let value = nfc_trimmed(raw);
    if value.chars().any(char::is_control) {
        return Err(InputError::ControlCharacters);
    }
    if value.chars().count() > max {
        return Err(InputError::TooLong(max));
    }
    Ok((!value.is_empty()).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(email("  Alice@Example.COM ").unwrap(), "alice@example.com");
        assert!(email("not-an-email").is_err());
        assert!(email("a@b").is_err());
        assert!(email("@b.com").is_err());
    }

    #[test]
    fn usernames_follow_the_charset() {
        assert_eq!(username(" bob_1.x-y ").unwrap(), "bob_1.x-y");
        assert_eq!(username("ab"), Err(InputError::TooShort(3)));
        assert_eq!(username("bad name"), Err(InputError::UsernameCharacters));
    }

    #[test]
    fn names_refuse_control_characters() {
        assert_eq!(name("  Ann ", 100).unwrap().as_deref(), Some("Ann"));
        assert_eq!(name("A\u{0}B", 100), Err(InputError::ControlCharacters));
        assert_eq!(name("   ", 100).unwrap(), None);
    }
}
