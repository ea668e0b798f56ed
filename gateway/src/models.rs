//! The JSON shapes of the HTTP contract, with their OpenAPI schemas. Request types are read by
//! hand through [`Fields`](crate::json::Fields) so that errors take FastAPI's shape.
use crate::{
    error::{ApiError, FieldError},
    json::{Fields, JsonBody, Secrecy::*},
};
use astro_domain::{Role, input, password_policy};
use astro_platform::time;
use astro_proto::user::v1::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    pub message: String,
}

impl MessageResponse {
    pub fn new(message: &str) -> axum::Json<Self> {
        axum::Json(Self {
            message: message.to_owned(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct ValidationErrorResponse {
    pub detail: Vec<FieldError>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: BearerType,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Browser mode's answer to a login or refresh: the tokens are in `HttpOnly` cookies.
#[derive(Serialize, ToSchema)]
pub struct CookieTokenResponse {
    pub token_type: CookieType,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// The one value of bearer mode's `token_type`; a type of its own so that the document tells
/// the two answers apart.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BearerType {
    Bearer,
}

/// The one value of browser mode's `token_type`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CookieType {
    Cookie,
}

/// What a login or refresh answers: the tokens (bearer mode), or only their lifetime when they
/// went to cookies (browser mode, `X-Token-Transport: cookie`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokensAnswer {
    Bearer(TokenResponse),
    Cookie(CookieTokenResponse),
}

/// What a login answers: [`TokensAnswer`]'s two forms, or for an account with two-factor
/// authentication only the challenge (`mfa_required`), to finish at `/api/auth/mfa/verify`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
// The route sends the first two as a [`TokensAnswer`] (shared with refresh); all three are here
// for the OpenAPI document.
#[allow(dead_code)]
pub enum LoginAnswer {
    Bearer(TokenResponse),
    Cookie(CookieTokenResponse),
    Mfa(crate::routes::mfa::MfaChallengeResponse),
}

impl From<astro_proto::auth::v1::TokenPair> for TokenResponse {
    fn from(pair: astro_proto::auth::v1::TokenPair) -> Self {
        TokenResponse {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: BearerType::Bearer,
            expires_in: pair.expires_in,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `user` or `admin`.
    pub role: String,
    pub is_verified: bool,
    pub is_active: bool,
    pub avatar_url: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    /// Whether two-factor authentication is on.
    pub mfa_enabled: bool,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        let stamp = |ts: Option<astro_proto::Timestamp>| {
            ts.map(|ts| time::to_rfc3339(time::timestamp_to_datetime(&ts)))
        };
        UserResponse {
            id: user.id,
            email: user.email,
            username: user.username,
            first_name: user.first_name,
            last_name: user.last_name,
            role: Role::from_wire(user.role).map_or("", Role::as_str).to_owned(),
            is_verified: user.is_verified,
            is_active: user.is_active,
            avatar_url: user.avatar_url,
            created_at: stamp(user.created_at).unwrap_or_default(),
            updated_at: stamp(user.updated_at).unwrap_or_default(),
            last_login_at: stamp(user.last_login_at),
            mfa_enabled: user.mfa_enabled,
        }
    }
}

const NAME_MAX: usize = input::MAX_FIELD;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(format = "email")]
    pub email: String,
    #[schema(min_length = 3, max_length = 100)]
    pub username: String,
    #[schema(min_length = 8, max_length = 100, format = "password")]
    pub password: String,
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
}

impl RegisterRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let email = f.email("email");
        let username = f.string("username", input::USERNAME_MIN, input::MAX_FIELD, Public);
        let password = password(&mut f, "password");
        let first_name = name(&mut f, "first_name");
        let last_name = name(&mut f, "last_name");
        if !username.is_empty()
            && let Err(err) = input::username(&username)
        {
            f.reject_rule("username", &err, Public);
        }
        f.finish(RegisterRequest {
            email,
            username,
            password,
            first_name,
            last_name,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = "password")]
    pub password: String,
}

impl LoginRequest {
    /// The email is validated as the original's `EmailStr` does: a malformed one is a 422
    /// on `body.email`, not a login attempt.
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let email = f.email("email");
        let password = f.string("password", 0, password_policy::MAX_LEN * 4, Secret);
        f.finish(LoginRequest { email, password })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl RefreshRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let refresh_token = f.string("refresh_token", 0, usize::MAX, Secret);
        f.finish(RefreshRequest { refresh_token })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LogoutRequest {
    /// Also revoke this refresh token's session.
    pub refresh_token: Option<String>,
}

impl LogoutRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let refresh_token = f.optional_string("refresh_token", usize::MAX, Secret);
        f.finish(LogoutRequest { refresh_token })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct EmailRequest {
    #[schema(format = "email")]
    pub email: String,
}

impl EmailRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let email = f.email("email");
        f.finish(EmailRequest { email })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub token: String,
}

impl TokenRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let token = f.string("token", 0, 512, Secret);
        f.finish(TokenRequest { token })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    pub token: String,
    #[schema(min_length = 8, max_length = 100, format = "password")]
    pub new_password: String,
}

impl ResetPasswordRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let token = f.string("token", 0, 512, Secret);
        let new_password = password(&mut f, "new_password");
        f.finish(ResetPasswordRequest { token, new_password })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(format = "password")]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 100, format = "password")]
    pub new_password: String,
}

impl ChangePasswordRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let current_password = f.string("current_password", 0, password_policy::MAX_LEN * 4, Secret);
        let new_password = password(&mut f, "new_password");
        f.finish(ChangePasswordRequest {
            current_password,
            new_password,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    /// `http` or `https` only.
    #[schema(max_length = 500)]
    pub avatar_url: Option<String>,
}

impl UpdateProfileRequest {
    /// Unknown fields are ignored; only given fields change.
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let first_name = name(&mut f, "first_name");
        let last_name = name(&mut f, "last_name");
        let avatar_url = f.optional_string("avatar_url", 500, Public);
        if let Some(url) = avatar_url.as_deref().filter(|u| !u.is_empty()) {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://"))
                || url.chars().any(char::is_whitespace)
            {
                f.reject(
                    "avatar_url",
                    "Value error, URL scheme should be 'http' or 'https'",
                    Public,
                );
            }
        }
        f.finish(UpdateProfileRequest {
            first_name,
            last_name,
            avatar_url,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// When given, it must be the account's password.
    #[schema(format = "password")]
    pub password: Option<String>,
}

fn password(f: &mut Fields, field: &str) -> String {
    f.string(field, password_policy::MIN_LEN, password_policy::MAX_LEN, Secret)
}

/// An optional first or last name (at most 100 characters, no control characters).
pub(crate) fn name(f: &mut Fields, field: &str) -> Option<String> {
    let value = f.optional_string(field, NAME_MAX, Public)?;
    match input::name(&value, NAME_MAX) {
        Ok(_) => Some(value),
        Err(err) => {
            f.reject_rule(field, &err, Public);
            None
        }
    }
}
