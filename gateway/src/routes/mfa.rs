//! Two-factor authentication: enrolment and management under `/api/user/mfa` (verified
//! users), the login's second step and reauthentication under `/api/auth`. The auth service
//! decides; a wrong second factor at login also counts against the account's login throttle.
mod models;

pub use models::{
    MfaChallengeResponse, MfaVerifyRequest, ReauthenticateRequest, RecoveryCodesResponse,
    SecondFactorRequest, TotpCodeRequest, TotpEnrolmentResponse,
};

use super::auth::token_answer;
use crate::{
    client::ClientInfo,
    cookies::wants_cookies,
    error::{ApiError, ApiResult},
    extract::{Caller, VerifiedUser, client_request},
    json::JsonBody,
    models::{ErrorResponse, MessageResponse, TokensAnswer, ValidationErrorResponse},
    state::AppState,
};
use astro_domain::reason::Reason;
use astro_proto::auth::v1 as pb;
use axum::{Json, extract::State, http::HeaderMap, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes under `/api/user/mfa`.
pub fn user_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_totp, disable_totp))
        .routes(routes!(activate_totp))
        .routes(routes!(regenerate_recovery_codes))
}

/// The routes under `/api/auth`: the login's second step and reauthentication.
pub fn auth_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_mfa))
        .routes(routes!(reauthenticate))
}

#[utoipa::path(post, path = "/mfa/totp", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = TotpEnrolmentResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn start_totp(
    State(state): State<AppState>,
    me: VerifiedUser,
) -> ApiResult<Json<TotpEnrolmentResponse>> {
    let enrolment = state
        .auth
        .clone()
        .start_totp(me.caller.request(pb::Empty {}))
        .await?
        .into_inner();
    Ok(Json(enrolment.into()))
}

#[utoipa::path(post, path = "/mfa/totp/verify", tag = "user", security(("bearer" = [])), request_body = TotpCodeRequest,
    responses((status = 200, body = RecoveryCodesResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn activate_totp(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: JsonBody,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let code = TotpCodeRequest::parse(&body)?;
    let codes = state
        .auth
        .clone()
        .activate_totp(me.caller.request(code))
        .await?
        .into_inner();
    Ok(Json(RecoveryCodesResponse {
        recovery_codes: codes.codes,
    }))
}

#[utoipa::path(delete, path = "/mfa/totp", tag = "user", security(("bearer" = [])), request_body = SecondFactorRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse, description = "Recent authentication required (`WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=…`), or a bad token"), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn disable_totp(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let proof = SecondFactorRequest::parse(&body)?;
    state.auth.clone().disable_totp(me.caller.request(proof)).await?;
    Ok(MessageResponse::new("Two-factor authentication disabled"))
}

#[utoipa::path(post, path = "/mfa/recovery-codes", tag = "user", security(("bearer" = [])), request_body = TotpCodeRequest,
    responses((status = 200, body = RecoveryCodesResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse, description = "Recent authentication required, or a bad token"), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: JsonBody,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    let code = TotpCodeRequest::parse(&body)?;
    let codes = state
        .auth
        .clone()
        .regenerate_recovery_codes(me.caller.request(code))
        .await?
        .into_inner();
    Ok(Json(RecoveryCodesResponse {
        recovery_codes: codes.codes,
    }))
}

#[utoipa::path(post, path = "/mfa/verify", tag = "auth", request_body = MfaVerifyRequest,
    params(("X-Token-Transport" = Option<String>, Header, description = "`cookie` for browser mode, as at login")),
    responses((status = 200, body = TokensAnswer), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn verify_mfa(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let request = MfaVerifyRequest::parse(&body)?;
    match state
        .auth
        .clone()
        .verify_mfa(client_request(request, &client))
        .await
    {
        Ok(verified) => {
            let verified = verified.into_inner();
            metrics::counter!("auth_logins_total", "outcome" => "success").increment(1);
            state.limits.login_succeeded(&verified.email, client.ip).await?;
            let tokens = verified.tokens.unwrap_or_default();
            Ok(token_answer(&state, wants_cookies(&headers), tokens))
        }
        Err(status) => {
            if Reason::of(&status) == Some(Reason::InvalidSecondFactor) {
                metrics::counter!("auth_logins_total", "outcome" => "failure").increment(1);
                if let Some(account) = Reason::metadata_of(&status, "account") {
                    state.limits.login_failed(&account).await?;
                }
            }
            Err(status.into())
        }
    }
}

#[utoipa::path(post, path = "/reauthenticate", tag = "auth", request_body = ReauthenticateRequest,
    security(("bearer" = []), ("cookie" = [])),
    params(("X-Token-Transport" = Option<String>, Header, description = "`cookie` for browser mode")),
    responses((status = 200, body = TokensAnswer), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn reauthenticate(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let request = ReauthenticateRequest::parse(&body)?;
    // Authenticated by the access cookie: the new pair goes back to the cookies.
    let by_cookie = headers.get(axum::http::header::AUTHORIZATION).is_none();
    let tokens = state
        .auth
        .clone()
        .reauthenticate(caller.request(request))
        .await
        .map_err(ApiError::from)?
        .into_inner();
    Ok(token_answer(&state, by_cookie || wants_cookies(&headers), tokens))
}
