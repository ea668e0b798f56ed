//! The contract's words and status codes, in one place: each refusal a service sends (a
//! [`Reason`]) and each input rule (an [`InputError`], whether the edge or a service found it)
//! becomes the `detail` and HTTP status the original API answered with. Services never write
//! client-facing text; a route whose wording differs says so here (see [`registration`]).
use astro_domain::{
    input::{EmailProblem, InputError},
    reason::Reason,
};
use axum::http::StatusCode;

/// A refusal's status code and `detail`. A 401 also gets `WWW-Authenticate: Bearer`.
pub fn refusal(reason: Reason) -> (StatusCode, &'static str) {
    use Reason::*;
    match reason {
        NotAuthenticated => (StatusCode::UNAUTHORIZED, "Not authenticated"),
        InvalidToken => (StatusCode::UNAUTHORIZED, "Could not validate credentials"),
        WrongTokenType => (StatusCode::UNAUTHORIZED, "Invalid token type"),
        TokenRevoked => (StatusCode::UNAUTHORIZED, "Token has been invalidated"),
        UnknownUser => (StatusCode::UNAUTHORIZED, "User not found"),
        InvalidCredentials => (StatusCode::UNAUTHORIZED, "Incorrect email or password"),
        AccountDisabled => (StatusCode::FORBIDDEN, "Account is disabled"),
        NotAdmin => (StatusCode::FORBIDDEN, "Not enough permissions"),
        UserNotFound => (StatusCode::NOT_FOUND, "User not found"),
        AvatarNotFound => (StatusCode::NOT_FOUND, "Avatar not found"),
        EmailNotVerified => (StatusCode::BAD_REQUEST, "Email not verified"),
        EmailTaken => (StatusCode::BAD_REQUEST, "Email already exists"),
        UsernameTaken => (StatusCode::BAD_REQUEST, "Username already exists"),
        LastAdmin => (StatusCode::BAD_REQUEST, "Cannot remove the last admin"),
        OwnRole => (StatusCode::BAD_REQUEST, "Cannot change your own role"),
        OwnDisable => (StatusCode::BAD_REQUEST, "Cannot disable your own account"),
        OwnDelete => (StatusCode::BAD_REQUEST, "Cannot delete your own account"),
        WrongPassword => (StatusCode::BAD_REQUEST, "Password is incorrect"),
        WrongCurrentPassword => (StatusCode::BAD_REQUEST, "Current password is incorrect"),
        InvalidVerificationToken => (StatusCode::BAD_REQUEST, "Invalid or expired verification token"),
        InvalidResetToken => (StatusCode::BAD_REQUEST, "Invalid or expired reset token"),
        AlreadyVerified => (StatusCode::BAD_REQUEST, "Email already verified"),
        InvalidImage => (StatusCode::BAD_REQUEST, "Invalid image file"),
        ImageTooLarge => (StatusCode::BAD_REQUEST, "File size must be less than 5MB"),
        SessionNotFound => (StatusCode::NOT_FOUND, "Session not found"),
        CurrentSession => (StatusCode::BAD_REQUEST, "Use logout to end the current session"),
        MfaAlreadyEnabled => (
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is already enabled",
        ),
        NoPendingFactor => (StatusCode::BAD_REQUEST, "No pending factor"),
        MfaCodeRejected => (StatusCode::BAD_REQUEST, "Invalid code"),
        InvalidSecondFactor => (StatusCode::UNAUTHORIZED, "Invalid code"),
        InvalidMfaToken => (StatusCode::UNAUTHORIZED, "Invalid or expired MFA token"),
        IncorrectPassword => (StatusCode::UNAUTHORIZED, "Incorrect password"),
        RecentAuthRequired => (StatusCode::UNAUTHORIZED, RECENT_AUTH_REQUIRED),
    }
}

pub const RECENT_AUTH_REQUIRED: &str = "Recent authentication required";

/// `POST /api/auth/register` words a taken email or username as the original's registration
/// did (same status); every other refusal reads as everywhere.
pub fn registration(reason: Reason) -> Option<&'static str> {
    match reason {
        Reason::EmailTaken => Some("Email already registered"),
        Reason::UsernameTaken => Some("Username already taken"),
        _ => None,
    }
}

/// pydantic's (and the original's validators') message for an input rule.
pub fn input_message(field: &str, error: &InputError) -> String {
    match error {
        InputError::Email(problem) => {
            format!("value is not a valid email address: {}", email_reason(*problem))
        }
        InputError::TooShort(min) => format!("String should have at least {min} characters"),
        InputError::TooLong(max) => format!("String should have at most {max} characters"),
        InputError::TooLarge(max) => format!("Input should be less than or equal to {max}"),
        InputError::UsernameCharacters => {
            "Value error, Username may only contain letters, digits, '_', '.' and '-'".into()
        }
        InputError::ControlCharacters => "Value error, Control characters are not allowed".into(),
        InputError::NotWebUrl => "URL must use http or https".into(),
        InputError::PasswordContainsIdentity => "Password must not contain your username or email".into(),
        InputError::PasswordTooWeak => {
            "Password is too weak or too common; use a longer mix of words, numbers and symbols".into()
        }
        InputError::NotAllowed => match field {
            "role" => format!("String should match pattern '{ROLE_PATTERN}'"),
            "sort" => "sort must be one of created_at, email, username, optionally prefixed with '-'".into(),
            _ => "Input should be one of the allowed values".into(),
        },
    }
}

/// The pattern a role must match, as the original's schema states it.
pub const ROLE_PATTERN: &str = "^(user|admin)$";

/// email-validator's explanation, which pydantic quotes.
pub fn email_reason(problem: EmailProblem) -> &'static str {
    match problem {
        EmailProblem::NoAtSign => "An email address must have an @-sign.",
        EmailProblem::NothingBeforeAt => "There must be something before the @-sign.",
        EmailProblem::BadDomain => "The part after the @-sign is not valid.",
        EmailProblem::Malformed => "The email address is not valid.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_a_client_error() {
        for &reason in Reason::ALL {
            assert!(refusal(reason).0.is_client_error(), "{reason:?}");
        }
    }

    #[test]
    fn input_rules_read_as_pydantic_does() {
        assert_eq!(
            input_message("username", &InputError::TooShort(3)),
            "String should have at least 3 characters"
        );
        assert_eq!(
            input_message("role", &InputError::NotAllowed),
            "String should match pattern '^(user|admin)$'"
        );
    }
}
