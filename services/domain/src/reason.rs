//! Why a service refused a call, sent as typed error details (`google.rpc.ErrorInfo` with one of
//! these reasons, or a `google.rpc.BadRequest` field violation). Services answer in reasons;
//! only the gateway turns them into the contract's wording and HTTP status codes, so a service
//! never writes a client-facing sentence and a caller never compares a message.
use crate::input::InputError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The `ErrorInfo.domain` of every reason below.
pub const DOMAIN: &str = "astro-auth";

macro_rules! reasons {
    ($($reason:ident = $name:literal, $code:ident, $description:literal;)*) => {
        /// A refusal the caller can act on. Each has one gRPC code and one stable name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $(#[doc = $description] $reason,)*
        }

        impl Reason {
            /// Every reason, for lookups by name.
            pub const ALL: &[Reason] = &[$(Reason::$reason,)*];

            /// The `ErrorInfo.reason`: SCREAMING_SNAKE_CASE, never changed once published.
            pub const fn name(self) -> &'static str {
                match self { $(Reason::$reason => $name,)* }
            }

            pub const fn code(self) -> Code {
                match self { $(Reason::$reason => Code::$code,)* }
            }

            /// The status message: a description for gRPC callers and logs, not for end users.
            pub const fn description(self) -> &'static str {
                match self { $(Reason::$reason => $description,)* }
            }
        }
    };
}

reasons! {
    NotAuthenticated = "NOT_AUTHENTICATED", Unauthenticated, "the call carries no bearer token";
    InvalidToken = "INVALID_TOKEN", Unauthenticated, "the token is malformed, expired or badly signed";
    WrongTokenType = "WRONG_TOKEN_TYPE", Unauthenticated, "the token is not of the kind this call takes";
    TokenRevoked = "TOKEN_REVOKED", Unauthenticated, "the token's session has been revoked";
    UnknownUser = "UNKNOWN_USER", Unauthenticated, "the token's user no longer exists";
    InvalidCredentials = "INVALID_CREDENTIALS", Unauthenticated, "no user with this email and password";
    AccountDisabled = "ACCOUNT_DISABLED", PermissionDenied, "the account is disabled";
    EmailNotVerified = "EMAIL_NOT_VERIFIED", FailedPrecondition, "the account's email is not verified";
    NotAdmin = "NOT_ADMIN", PermissionDenied, "the caller is not an admin";
    UserNotFound = "USER_NOT_FOUND", NotFound, "no user with this id";
    AvatarNotFound = "AVATAR_NOT_FOUND", NotFound, "no stored avatar by this name";
    EmailTaken = "EMAIL_TAKEN", AlreadyExists, "another user has this email address";
    UsernameTaken = "USERNAME_TAKEN", AlreadyExists, "another user has this username";
    LastAdmin = "LAST_ADMIN", FailedPrecondition, "the change would leave no active, verified admin";
    OwnRole = "OWN_ROLE", FailedPrecondition, "an admin cannot change their own role";
    OwnDisable = "OWN_DISABLE", FailedPrecondition, "an admin cannot disable themself";
    OwnDelete = "OWN_DELETE", FailedPrecondition, "an admin cannot delete themself through the admin API";
    WrongPassword = "WRONG_PASSWORD", FailedPrecondition, "the password confirmation does not match";
    WrongCurrentPassword = "WRONG_CURRENT_PASSWORD", FailedPrecondition, "the current password does not match";
    InvalidVerificationToken = "INVALID_VERIFICATION_TOKEN", FailedPrecondition, "the verification token is unknown, used or expired";
    InvalidResetToken = "INVALID_RESET_TOKEN", FailedPrecondition, "the reset token is unknown, used or expired";
    AlreadyVerified = "ALREADY_VERIFIED", FailedPrecondition, "the email is already verified";
    InvalidImage = "INVALID_IMAGE", InvalidArgument, "not a decodable PNG, JPEG or WebP within the size limits";
    ImageTooLarge = "IMAGE_TOO_LARGE", InvalidArgument, "the upload is larger than the avatar limit";
    SessionNotFound = "SESSION_NOT_FOUND", NotFound, "no live session of the caller has this id";
    CurrentSession = "CURRENT_SESSION", FailedPrecondition, "the session is the caller's own: log out instead";
    MfaAlreadyEnabled = "MFA_ALREADY_ENABLED", FailedPrecondition, "the account's second factor is already active";
    NoPendingFactor = "NO_PENDING_FACTOR", FailedPrecondition, "no second factor awaits activation";
    MfaCodeRejected = "MFA_CODE_REJECTED", FailedPrecondition, "the code is wrong, already used, or there is no such factor";
    InvalidSecondFactor = "INVALID_SECOND_FACTOR", Unauthenticated, "the second factor's code is wrong or already used";
    InvalidMfaToken = "INVALID_MFA_TOKEN", Unauthenticated, "the mfa_token is unknown, used, expired or spent by wrong codes";
    IncorrectPassword = "INCORRECT_PASSWORD", Unauthenticated, "the password does not match (reauthentication)";
    RecentAuthRequired = "RECENT_AUTH_REQUIRED", Unauthenticated, "the caller must authenticate again: too long ago, or without the second factor";
}

impl Reason {
    /// The status a service answers with.
    pub fn status(self) -> Status {
        let details = ErrorDetails::with_error_info(self.name(), DOMAIN, []);
        Status::with_error_details(self.code(), self.description(), details)
    }

    /// [`Reason::status`] with facts for the caller in the `ErrorInfo` metadata.
    pub fn status_with(self, metadata: Vec<(&'static str, String)>) -> Status {
        let metadata: std::collections::HashMap<String, String> =
            metadata.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let details = ErrorDetails::with_error_info(self.name(), DOMAIN, metadata);
        Status::with_error_details(self.code(), self.description(), details)
    }

    /// A fact of a refusal's metadata ([`Reason::status_with`]).
    pub fn metadata_of(status: &Status, key: &str) -> Option<String> {
        status.get_details_error_info()?.metadata.get(key).cloned()
    }

    /// The reason a status carries, if it is one of ours (and its code agrees).
    pub fn of(status: &Status) -> Option<Reason> {
        let info = status.get_details_error_info()?;
        if info.domain != DOMAIN {
            return None;
        }
        Reason::ALL
            .iter()
            .copied()
            .find(|r| r.name() == info.reason && r.code() == status.code())
    }
}

/// An `INVALID_ARGUMENT` about one request field: a `BadRequest` violation whose reason names
/// the rule that failed (the gateway answers 422 on that field, in its own words).
pub fn field_violation(field: &str, error: &InputError) -> Status {
    violation(field, error.reason(), &error.to_string())
}

/// An `INVALID_ARGUMENT` about one field of an internal call, which no input rule covers: the
/// description is for the calling service's developers.
pub fn invalid_field(field: &str, description: &str) -> Status {
    violation(field, "INVALID", description)
}

fn violation(field: &str, reason: &str, description: &str) -> Status {
    let mut violation = FieldViolation::new(field, description);
    violation.reason = reason.to_owned();
    let details = ErrorDetails::with_bad_request(vec![violation]);
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid {field}: {description}"),
        details,
    )
}

/// The first field violation of an `INVALID_ARGUMENT` status: the field and the rule's reason.
pub fn violation_of(status: &Status) -> Option<(String, String)> {
    if status.code() != Code::InvalidArgument {
        return None;
    }
    let violation = status
        .get_details_bad_request()?
        .field_violations
        .into_iter()
        .next()?;
    Some((violation.field, violation.reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_survive_the_wire() {
        for &reason in Reason::ALL {
            let status = reason.status();
            // As a client sees it: details travel in the encoded `grpc-status-details-bin`.
            let received =
                Status::with_details(status.code(), status.message(), status.details().to_vec().into());
            assert_eq!(Reason::of(&received), Some(reason));
            assert!(reason.name().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        }
        assert_eq!(Reason::of(&Status::not_found("User not found")), None);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Reason::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reason::ALL.len());
    }

    #[test]
    fn field_violations_name_field_and_rule() {
        let status = field_violation("username", &InputError::TooShort(3));
        assert_eq!(
            violation_of(&status),
            Some(("username".into(), "TOO_SHORT".into()))
        );
        assert_eq!(violation_of(&Status::invalid_argument("x")), None);
    }
}
