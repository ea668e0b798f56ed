//! The kinds of email this service knows, as stored and as templates are named.
use crate::error::{NotificationError, Result};
use astro_proto::notification::v1::EmailKind as ProtoKind;

/// One kind of email; its [`EmailKind::as_str`] names its templates and its stored rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmailKind {
    Verification,
    PasswordReset,
    PasswordChanged,
    AccountDeleted,
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
}

impl EmailKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EmailKind; 7] = [
        EmailKind::Verification,
        EmailKind::PasswordReset,
        EmailKind::PasswordChanged,
        EmailKind::AccountDeleted,
        EmailKind::MfaEnabled,
        EmailKind::MfaDisabled,
        EmailKind::RecoveryCodeUsed,
    ];

    /// The stored name, also the template file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Verification => "verification",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::PasswordChanged => "password_changed",
            EmailKind::AccountDeleted => "account_deleted",
            EmailKind::MfaEnabled => "mfa_enabled",
            EmailKind::MfaDisabled => "mfa_disabled",
            EmailKind::RecoveryCodeUsed => "recovery_code_used",
        }
    }

    /// Whether the email carries a one-time token link.
    pub fn needs_token(self) -> bool {
        matches!(self, EmailKind::Verification | EmailKind::PasswordReset)
    }

    /// The kind of a protobuf enum value; `None` for UNSPECIFIED.
    pub fn from_proto(value: i32) -> Result<Option<EmailKind>> {
        let kind = ProtoKind::try_from(value)
            .map_err(|_| NotificationError::invalid("kind", format!("unknown email kind {value}")))?;
        Ok(match kind {
            ProtoKind::Unspecified => None,
            ProtoKind::Verification => Some(EmailKind::Verification),
            ProtoKind::PasswordReset => Some(EmailKind::PasswordReset),
            ProtoKind::PasswordChanged => Some(EmailKind::PasswordChanged),
            ProtoKind::AccountDeleted => Some(EmailKind::AccountDeleted),
            ProtoKind::MfaEnabled => Some(EmailKind::MfaEnabled),
            ProtoKind::MfaDisabled => Some(EmailKind::MfaDisabled),
            ProtoKind::RecoveryCodeUsed => Some(EmailKind::RecoveryCodeUsed),
        })
    }
}
