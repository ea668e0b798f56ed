//! The JSON shapes of two-factor authentication and reauthentication.
use crate::{
    error::ApiError,
    json::{Fields, JsonBody, Secrecy::*},
};
use astro_domain::password_policy;
use astro_proto::auth::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest code accepted (six digits, or a recovery code with separators, and some spaces).
const CODE_MAX: usize = 64;
const TOKEN_MAX: usize = 512;

/// A pending TOTP factor: add `secret` (or scan `otpauth_uri`) in an authenticator app, then
/// activate it with a first code.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolmentResponse {
    pub factor_id: String,
    /// Base32 (RFC 4648), no padding.
    pub secret: String,
    pub otpauth_uri: String,
}

impl From<pb::TotpEnrolment> for TotpEnrolmentResponse {
    fn from(e: pb::TotpEnrolment) -> Self {
        TotpEnrolmentResponse {
            factor_id: e.factor_id,
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
        }
    }
}

/// Recovery codes, shown this once; each works once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    pub recovery_codes: Vec<String>,
}

/// A login that needs its second factor: finish it at `POST /api/auth/mfa/verify`.
#[derive(Serialize, ToSchema)]
pub struct MfaChallengeResponse {
    /// Always `true`.
    pub mfa_required: bool,
    pub mfa_token: String,
    /// Seconds the `mfa_token` lives.
    pub expires_in: u64,
    /// `totp`, `recovery_code`.
    pub methods: Vec<String>,
}

impl From<pb::MfaChallenge> for MfaChallengeResponse {
    fn from(c: pb::MfaChallenge) -> Self {
        MfaChallengeResponse {
            mfa_required: true,
            mfa_token: c.mfa_token,
            expires_in: c.expires_in,
            methods: c.methods,
        }
    }
}

/// A TOTP code.
#[derive(Deserialize, ToSchema)]
pub struct TotpCodeRequest {
    /// Six digits.
    pub code: String,
}

impl TotpCodeRequest {
    pub fn parse(body: &JsonBody) -> Result<pb::MfaCode, ApiError> {
        let mut f = Fields::new(body)?;
        let code = f.string("code", 1, CODE_MAX, Secret);
        let form = f.finish(TotpCodeRequest { code })?;
        Ok(pb::MfaCode {
            code: Some(form.code),
            recovery_code: None,
        })
    }
}

/// A TOTP code or a recovery code: exactly one.
#[derive(Deserialize, ToSchema)]
pub struct SecondFactorRequest {
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

impl SecondFactorRequest {
    pub fn parse(body: &JsonBody) -> Result<pb::MfaCode, ApiError> {
        let mut f = Fields::new(body)?;
        let (code, recovery_code) = second_factor(&mut f);
        let form = f.finish(SecondFactorRequest { code, recovery_code })?;
        Ok(pb::MfaCode {
            code: form.code,
            recovery_code: form.recovery_code,
        })
    }
}

/// Finishes a login's second step.
#[derive(Deserialize, ToSchema)]
pub struct MfaVerifyRequest {
    pub mfa_token: String,
    /// Six digits; or give `recovery_code`.
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

impl MfaVerifyRequest {
    pub fn parse(body: &JsonBody) -> Result<pb::VerifyMfaRequest, ApiError> {
        let mut f = Fields::new(body)?;
        let mfa_token = f.string("mfa_token", 0, TOKEN_MAX, Secret);
        let (code, recovery_code) = second_factor(&mut f);
        let form = f.finish(MfaVerifyRequest {
            mfa_token,
            code,
            recovery_code,
        })?;
        Ok(pb::VerifyMfaRequest {
            mfa_token: form.mfa_token,
            code: form.code,
            recovery_code: form.recovery_code,
        })
    }
}

/// Proving who you are again: the password, and a code when two-factor authentication is on.
#[derive(Deserialize, ToSchema)]
pub struct ReauthenticateRequest {
    #[schema(format = "password")]
    pub password: String,
    pub code: Option<String>,
}

impl ReauthenticateRequest {
    pub fn parse(body: &JsonBody) -> Result<pb::ReauthenticateRequest, ApiError> {
        let mut f = Fields::new(body)?;
        let password = f.string("password", 0, password_policy::MAX_LEN * 4, Secret);
        let code = f.optional_string("code", CODE_MAX, Secret);
        let form = f.finish(ReauthenticateRequest { password, code })?;
        Ok(pb::ReauthenticateRequest {
            password: form.password,
            code: form.code,
        })
    }
}

/// `code` or `recovery_code`, exactly one (neither: `code` is missing).
fn second_factor(f: &mut Fields) -> (Option<String>, Option<String>) {
    let code = f.optional_string("code", CODE_MAX, Secret);
    let recovery_code = f.optional_string("recovery_code", CODE_MAX, Secret);
    match (&code, &recovery_code) {
        (None, None) => {
            f.string("code", 1, CODE_MAX, Secret);
        }
        (Some(_), Some(_)) => f.reject(
            "recovery_code",
            "Value error, give code or recovery_code, not both",
            Secret,
        ),
        _ => {}
    }
    (code, recovery_code)
}
