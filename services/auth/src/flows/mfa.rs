//! TOTP enrolment and management: a pending factor, activated by its first code with ten
//! recovery codes; disabling and new recovery codes need recent authentication and a code.
use super::{Auth, step_up::Factor};
use crate::{audit::RequestContext, error::AuthError, totp};
use astro_domain::reason::Reason;
use astro_proto::{
    auth::v1::{RecoveryCodes, TotpEnrolment},
    notification::v1::EmailKind,
    user::v1::SetMfaEnabledRequest,
};
use astro_security::tokens::Claims;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Recovery codes issued at once.
const RECOVERY_CODES: usize = 10;
/// Base32 characters per recovery code: 12 × 5 = 60 bits.
const RECOVERY_CODE_CHARS: usize = 12;
/// The issuer authenticator apps show.
const ISSUER: &str = "Astro Auth";

const REJECTED: AuthError = AuthError::Refused(Reason::MfaCodeRejected);

impl Auth {
    /// A new pending factor for the caller (replacing a pending one).
    pub async fn start_totp(
        &self,
        caller: &Claims,
        ctx: &RequestContext,
    ) -> Result<TotpEnrolment, AuthError> {
        let (user_id, user) = self.caller_user(caller).await?;
        let mut secret = [0u8; totp::SECRET_BYTES];
        rand::rng().fill_bytes(&mut secret);
        let factor_id = uuid::Uuid::new_v4().simple().to_string();
        let sealed = self.data_key.seal(&secret, &factor_aad(&factor_id));
        if !self.mfa.put_pending_factor(user_id, &factor_id, &sealed).await? {
            return Err(AuthError::Refused(Reason::MfaAlreadyEnabled));
        }
        self.audit.record(
            ctx,
            "mfa_enrolment_started",
            Some(user_id),
            Some(user_id),
            json!({}),
        );
        let secret = totp::base32(&secret);
        let otpauth_uri = format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
            issuer = percent_encode(ISSUER),
            account = percent_encode(&user.email),
        );
        Ok(TotpEnrolment {
            factor_id,
            secret,
            otpauth_uri,
        })
    }

    /// Activates the caller's pending factor with its first code (whose step counts as used);
    /// answers the recovery codes, shown this once.
    pub async fn activate_totp(
        &self,
        caller: &Claims,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<RecoveryCodes, AuthError> {
        let (user_id, user) = self.caller_user(caller).await?;
        let factor = self
            .mfa
            .factor(user_id)
            .await?
            .filter(|f| f.activated_at.is_none())
            .ok_or(AuthError::Refused(Reason::NoPendingFactor))?;
        let secret = self.open_secret(&factor)?;
        let now_step = totp::step_at(self.clock.now_secs());
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
        for step in totp::matching_steps(&secret, code, now_step, factor.last_step) {
            if self.mfa.activate_factor(&factor.id, step, &hashes).await? {
                self.publish_mfa_flag(user_id).await;
                self.audit.record(
                    ctx,
                    "mfa_enabled",
                    Some(user_id),
                    Some(user_id),
                    json!({ "method": "totp" }),
                );
                self.queue_email(&user, EmailKind::MfaEnabled).await?;
                return Ok(RecoveryCodes { codes });
            }
        }
        Err(REJECTED)
    }

    /// Removes the caller's factor and recovery codes: recent authentication and a current
    /// code (or a recovery code) required.
    pub async fn disable_totp(
        &self,
        caller: &Claims,
        proof: Factor<'_>,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        self.require_recent(caller)?;
        let (user_id, user) = self.caller_user(caller).await?;
        if !self.check_factor(user_id, proof, ctx).await? {
            self.second_factor_failed(ctx, user_id, "disable");
            return Err(REJECTED);
        }
        self.mfa.remove_mfa(user_id).await?;
        self.publish_mfa_flag(user_id).await;
        self.audit
            .record(ctx, "mfa_disabled", Some(user_id), Some(user_id), json!({}));
        self.queue_email(&user, EmailKind::MfaDisabled).await
    }

    /// New recovery codes for the caller (the old ones die): recent authentication and a
    /// current code required.
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Claims,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<RecoveryCodes, AuthError> {
        self.require_recent(caller)?;
        let (user_id, _) = self.caller_user(caller).await?;
        if !self.check_factor(user_id, Factor::Totp(code), ctx).await? {
            self.second_factor_failed(ctx, user_id, "recovery_codes");
            return Err(REJECTED);
        }
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
        self.mfa.replace_recovery_codes(user_id, &hashes).await?;
        self.audit.record(
            ctx,
            "mfa_recovery_codes_regenerated",
            Some(user_id),
            Some(user_id),
            json!({}),
        );
        Ok(RecoveryCodes { codes })
    }

    /// An admin removes a user's second factor (lost device); the user is told by email.
    pub async fn reset_user_mfa(
        &self,
        admin_id: Option<i64>,
        user_id: i64,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let user = self
            .user(user_id)
            .await?
            .ok_or(AuthError::Refused(Reason::UserNotFound))?;
        let had_factor = self.mfa.remove_mfa(user_id).await?;
        self.publish_mfa_flag(user_id).await;
        self.audit.record(
            ctx,
            "mfa_reset_by_admin",
            admin_id,
            Some(user_id),
            json!({ "had_factor": had_factor }),
        );
        if had_factor {
            self.queue_email(&user, EmailKind::MfaDisabled).await?;
        }
        Ok(())
    }

    /// Copies whether `user_id` has an active factor onto the user record, where profiles
    /// read it without calling auth. It sends what the table says now rather than what the
    /// caller just did, so of two changes racing the later read wins. A failure is logged, not
    /// returned (the factor change itself stands), and the next login repairs the flag.
    pub(super) async fn publish_mfa_flag(&self, user_id: i64) {
        let enabled = match self.has_mfa(user_id).await {
            Ok(enabled) => enabled,
            Err(error) => {
                tracing::warn!(%error, user_id, "could not read the second factor to publish it");
                return;
            }
        };
        let request = SetMfaEnabledRequest { id: user_id, enabled };
        if let Err(status) = self.users.clone().set_mfa_enabled(request).await {
            tracing::warn!(error = %status, user_id, "could not record the second factor on the user");
        }
    }
}

/// What a factor's sealed secret is bound to: copied into another row, it does not open.
pub(super) fn factor_aad(factor_id: &str) -> Vec<u8> {
    format!("totp-secret:{factor_id}").into_bytes()
}

/// The stored form of a recovery code: SHA-256 of the user and the code as typed, without
/// separators or case.
pub(super) fn recovery_hash(user_id: i64, code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(format!("{user_id}:{normalized}").as_bytes()))
}

/// Ten random codes of 60 bits, as `xxxx-xxxx-xxxx` in lower-case base32.
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 8];
            rand::rng().fill_bytes(&mut bytes);
            let chars: String = totp::base32(&bytes)
                .to_ascii_lowercase()
                .chars()
                .take(RECOVERY_CODE_CHARS)
                .collect();
            format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
        })
        .collect()
}

/// Percent-encoding of an `otpauth` label or parameter (RFC 3986 unreserved kept).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
