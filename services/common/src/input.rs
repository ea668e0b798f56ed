//! Input rules shared by the edge (which turns a refusal into a 422) and the services (which
//! re-check what they rely on). Everything is trimmed and NFC-normalised before it is stored
//! or compared, so visually equal strings are equal.
use unicode_normalization::UnicodeNormalization;

pub const USERNAME_MIN: usize = 3;
pub const MAX_FIELD: usize = 100;
/// Largest avatar upload accepted, before any decoding (the contract's "5MB").
pub const AVATAR_MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("value is not a valid email address: {0}")]
    Email(&'static str),
    #[error("String should have at least {0} characters")]
    TooShort(usize),
    #[error("String should have at most {0} characters")]
    TooLong(usize),
    #[error("Value error, Username may only contain letters, digits, '_', '.' and '-'")]
    UsernameCharacters,
    #[error("Value error, Control characters are not allowed")]
    ControlCharacters,
}

fn nfc_trimmed(raw: &str) -> String {
    raw.trim().nfc().collect()
}

/// An email address as stored and compared: trimmed, NFC, lower-case.
pub fn email(raw: &str) -> Result<String, InputError> {
    let value = nfc_trimmed(raw).to_lowercase();
    let Some((local, domain)) = value.split_once('@') else {
        return Err(InputError::Email("An email address must have an @-sign."));
    };
    if local.is_empty() {
        return Err(InputError::Email("There must be something before the @-sign."));
    }
    if domain.is_empty() || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(InputError::Email("The part after the @-sign is not valid."));
    }
    if value.chars().count() > 254 || !email_address::EmailAddress::is_valid(&value) {
        return Err(InputError::Email("The email address is not valid."));
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
