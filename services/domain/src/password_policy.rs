//! Password strength: 8-100 characters and a zxcvbn score of at least 2, scored with the
//! user's own words (username, email, its local part, names) as dictionary inputs.
use crate::input::InputError;
use zxcvbn::Score;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 100;

/// Why a password was refused (the gateway words it for clients).
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum WeakPassword {
    #[error("shorter than {MIN_LEN} characters")]
    TooShort,
    #[error("longer than {MAX_LEN} characters")]
    TooLong,
    #[error("contains the user's username or email")]
    ContainsIdentity,
    #[error("too weak or too common")]
    TooWeak,
}

impl From<WeakPassword> for InputError {
    fn from(weak: WeakPassword) -> Self {
        match weak {
            WeakPassword::TooShort => InputError::TooShort(MIN_LEN),
            WeakPassword::TooLong => InputError::TooLong(MAX_LEN),
            WeakPassword::ContainsIdentity => InputError::PasswordContainsIdentity,
            WeakPassword::TooWeak => InputError::PasswordTooWeak,
        }
    }
}

/// Checks `password` against the policy; `user_words` are the user's username, email and names.
pub fn check(password: &str, user_words: &[&str]) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(WeakPassword::TooShort);
    }
    if chars > MAX_LEN {
        return Err(WeakPassword::TooLong);
    }
    let mut inputs: Vec<String> = Vec::new();
    for word in user_words
        .iter()
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
    {
        if let Some((local, _)) = word.split_once('@') {
            inputs.push(local.to_owned());
        }
        inputs.push(word);
    }
    let lowered = password.to_lowercase();
    // Short words (a 4-letter email name such as `test`) are left to zxcvbn, which weighs them;
    // containing a longer one of the user's own words is refused outright.
    if inputs
        .iter()
        .any(|w| w.chars().count() >= 5 && lowered.contains(w.as_str()))
    {
        return Err(WeakPassword::ContainsIdentity);
    }
    let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    if zxcvbn::zxcvbn(password, &input_refs).score() < Score::Two {
        return Err(WeakPassword::TooWeak);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &[&str] = &["testuser", "test@example.com"];

    #[test]
    fn the_originals_test_password_is_accepted() {
        assert_eq!(check("TestPassword123!", USER), Ok(()));
    }

    #[test]
    fn weak_and_personal_passwords_are_refused() {
        for weak in ["password1", "12345678", "xxxxxxxx"] {
            assert!(check(weak, USER).is_err(), "{weak} accepted");
        }
        assert_eq!(check("testuser!", USER), Err(WeakPassword::ContainsIdentity));
        assert_eq!(check("short", USER), Err(WeakPassword::TooShort));
        assert_eq!(check(&"a".repeat(101), USER), Err(WeakPassword::TooLong));
    }
}
