//! The second factor at login and after: the login challenge (`mfa_token`) and its
//! verification, checking a TOTP or recovery code (each usable once, decided by a
//! compare-and-swap in the database), reauthentication, and the recent-authentication rule.
use super::{
    Auth,
    mfa::{factor_aad, recovery_hash},
};
use crate::{audit::RequestContext, error::AuthError, repo::mfa::TotpFactor, totp};
use astro_domain::reason::Reason;
use astro_proto::{
    auth::v1::{MfaChallenge, MfaLogin, TokenPair},
    notification::v1::EmailKind,
    user::v1::User,
};
use astro_security::tokens::Claims;
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;

/// How long an `mfa_token` lives.
pub const MFA_TOKEN_TTL: Duration = Duration::from_secs(300);
/// Wrong codes an `mfa_token` survives.
const MAX_FAILURES: i32 = 5;
/// Assurance levels: a password; a password and a second factor.
pub const AAL_PASSWORD: i32 = 1;
pub const AAL_SECOND_FACTOR: i32 = 2;

const BAD_MFA_TOKEN: AuthError = AuthError::Refused(Reason::InvalidMfaToken);
const BAD_CODE: AuthError = AuthError::Refused(Reason::InvalidSecondFactor);

/// A second factor as presented: a TOTP code or a recovery code.
#[derive(Clone, Copy, Debug)]
pub enum Factor<'a> {
    Totp(&'a str),
    RecoveryCode(&'a str),
}

impl<'a> Factor<'a> {
    /// Exactly one of the two, else `None`.
    pub fn either(code: Option<&'a str>, recovery_code: Option<&'a str>) -> Option<Self> {
        match (code, recovery_code) {
            (Some(code), None) => Some(Factor::Totp(code)),
            (None, Some(code)) => Some(Factor::RecoveryCode(code)),
            _ => None,
        }
    }
}

impl Auth {
    /// Whether `user_id` has an active second factor.
    pub(crate) async fn has_mfa(&self, user_id: i64) -> Result<bool, AuthError> {
        Ok(!self.mfa.mfa_enabled(&[user_id]).await?.is_empty())
    }

    /// The login of a user with an active factor stops here: a single-use `mfa_token`.
    pub(super) async fn challenge(
        &self,
        user: &User,
        ctx: &RequestContext,
    ) -> Result<MfaChallenge, AuthError> {
        let (token, hash) = super::new_one_time_token();
        let expires_at = astro_platform::time::now_micros() + MFA_TOKEN_TTL.as_micros() as i64;
        self.mfa.create_challenge(&hash, user.id, expires_at).await?;
        self.audit
            .record(ctx, "login_mfa_required", Some(user.id), Some(user.id), json!({}));
        Ok(MfaChallenge {
            mfa_token: token,
            expires_in: MFA_TOKEN_TTL.as_secs(),
            methods: vec!["totp".into(), "recovery_code".into()],
        })
    }

    /// Finishes a login with its second factor: a session at level 2. A wrong code counts
    /// against the `mfa_token` (five kill it); the edge counts it against the account too.
    pub async fn verify_mfa(
        &self,
        mfa_token: &str,
        proof: Factor<'_>,
        ctx: &RequestContext,
    ) -> Result<MfaLogin, AuthError> {
        let hash = super::hash_token(mfa_token);
        let user_id = self
            .mfa
            .live_challenge(&hash, MAX_FAILURES)
            .await?
            .ok_or(BAD_MFA_TOKEN)?;
        let user = self.user(user_id).await?.ok_or(BAD_MFA_TOKEN)?;
        if !self.check_factor(user_id, proof, ctx).await? {
            self.mfa.challenge_failed(&hash).await?;
            self.second_factor_failed(ctx, user_id, "login");
            let account = vec![("account", user.email)];
            return Err(AuthError::RefusedWith(Reason::InvalidSecondFactor, account));
        }
        if !self.mfa.consume_challenge(&hash, MAX_FAILURES).await? {
            return Err(BAD_MFA_TOKEN);
        }
        if !user.is_active {
            return Err(AuthError::Refused(Reason::AccountDisabled));
        }
        let tokens = self.open_session(&user, AAL_SECOND_FACTOR, ctx).await?;
        Ok(MfaLogin {
            tokens: Some(tokens),
            email: user.email,
        })
    }

    /// The caller proves who they are again: their password, and a code when they have a
    /// factor. A new pair of the same session with a fresh `auth_time`.
    pub async fn reauthenticate(
        &self,
        caller: &Claims,
        password: SecretString,
        code: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<TokenPair, AuthError> {
        let (user_id, credentials) = self.caller_credentials(caller).await?;
        if !self
            .hasher
            .verify(password, Some(credentials.password_hash))
            .await?
        {
            self.audit.record(
                ctx,
                "reauthentication_failed",
                Some(user_id),
                Some(user_id),
                json!({}),
            );
            return Err(AuthError::Refused(Reason::IncorrectPassword));
        }
        let has_mfa = code.is_some() && self.has_mfa(user_id).await?;
        let aal = match code {
            Some(code) if has_mfa => {
                if !self.check_factor(user_id, Factor::Totp(code), ctx).await? {
                    self.second_factor_failed(ctx, user_id, "reauthenticate");
                    return Err(BAD_CODE);
                }
                AAL_SECOND_FACTOR
            }
            Some(_) => return Err(BAD_CODE),
            None => AAL_PASSWORD,
        };
        let user = credentials.user.unwrap_or_default();
        let pair = self.renew_session(caller, &user, aal).await?;
        self.audit.record(
            ctx,
            "reauthenticated",
            Some(user_id),
            Some(user_id),
            json!({ "session": caller.sid, "aal": aal }),
        );
        Ok(pair)
    }

    /// The rule for sensitive changes: the caller authenticated within
    /// `RECENT_AUTH_MAX_AGE_SECONDS`.
    pub(crate) fn require_recent(&self, caller: &Claims) -> Result<(), AuthError> {
        if self.clock.now_secs() - caller.authenticated_at() > self.recent_auth_max_age {
            return Err(self.step_up_required());
        }
        Ok(())
    }

    /// The refusal that sends the caller to reauthenticate, with the age allowed.
    fn step_up_required(&self) -> AuthError {
        let max_age = vec![("max_age", self.recent_auth_max_age.to_string())];
        AuthError::RefusedWith(Reason::RecentAuthRequired, max_age)
    }

    /// For a user with a second factor: recent authentication at level 2 (password change,
    /// account deletion).
    pub(crate) async fn require_step_up(&self, caller: &Claims, user_id: i64) -> Result<(), AuthError> {
        if !self.has_mfa(user_id).await? {
            return Ok(());
        }
        if caller.assurance() < AAL_SECOND_FACTOR {
            return Err(self.step_up_required());
        }
        self.require_recent(caller)
    }

    /// Checks and uses a factor of `user_id`'s active one: a TOTP code whose step is newer
    /// than the last accepted (moved forward by compare-and-swap, so a replayed or concurrent
    /// second use loses), or an unused recovery code (used up the same way).
    pub(super) async fn check_factor(
        &self,
        user_id: i64,
        proof: Factor<'_>,
        ctx: &RequestContext,
    ) -> Result<bool, AuthError> {
        let Some(factor) = self
            .mfa
            .factor(user_id)
            .await?
            .filter(|f| f.activated_at.is_some())
        else {
            return Ok(false);
        };
        match proof {
            Factor::Totp(code) => {
                let secret = self.open_secret(&factor)?;
                let now_step = totp::step_at(self.clock.now_secs());
                for step in totp::matching_steps(&secret, code, now_step, factor.last_step) {
                    if self.mfa.consume_step(&factor.id, step).await? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Factor::RecoveryCode(code) => {
                if !self
                    .mfa
                    .consume_recovery_code(user_id, &recovery_hash(user_id, code))
                    .await?
                {
                    return Ok(false);
                }
                self.audit.record(
                    ctx,
                    "mfa_recovery_code_used",
                    Some(user_id),
                    Some(user_id),
                    json!({}),
                );
                if let Some(user) = self.user(user_id).await? {
                    self.queue_email(&user, EmailKind::RecoveryCodeUsed).await?;
                }
                Ok(true)
            }
        }
    }

    /// A wrong second factor, for the audit log.
    pub(super) fn second_factor_failed(&self, ctx: &RequestContext, user_id: i64, during: &str) {
        self.audit.record(
            ctx,
            "mfa_failed",
            Some(user_id),
            Some(user_id),
            json!({ "during": during }),
        );
    }

    /// A factor's secret, opened with the data key.
    pub(super) fn open_secret(&self, factor: &TotpFactor) -> Result<Vec<u8>, AuthError> {
        self.data_key
            .open(&factor.secret, &factor_aad(&factor.id))
            .map_err(|e| AuthError::Internal(format!("TOTP secret of factor {}: {e}", factor.id)))
    }
}
