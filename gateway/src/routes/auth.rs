//! `/api/auth`: registration, login, tokens, email verification and password reset.
use crate::cookies::wants_cookies;
use crate::wording;
use crate::{
    client::ClientInfo,
    error::{ApiError, ApiResult},
    extract::{bearer_token, client_request},
    json::JsonBody,
    models::*,
    state::AppState,
};
use astro_proto::auth::v1::{self as pb, login_result::Outcome};
use axum::{
    Json,
    extract::State,
    http::HeaderMap,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes under `/api/auth`, with their OpenAPI operations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(refresh))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .merge(super::mfa::auth_router())
}

/// A new token pair, as the client asked: in the body (bearer mode), or in cookies with no token
/// in the body (browser mode). Never cached by browsers or proxies.
pub(crate) fn token_answer(state: &AppState, cookies: bool, tokens: pb::TokenPair) -> Response {
    let no_store = [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ];
    if !cookies {
        let answer = TokensAnswer::Bearer(TokenResponse::from(tokens));
        return (no_store, Json(answer)).into_response();
    }
    let answer = TokensAnswer::Cookie(CookieTokenResponse {
        token_type: CookieType::Cookie,
        expires_in: tokens.expires_in,
    });
    let mut response = (no_store, Json(answer)).into_response();
    state.cookies.set_tokens(
        response.headers_mut(),
        &tokens.access_token,
        &tokens.refresh_token,
    );
    response
}

#[utoipa::path(post, path = "/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = RegisterRequest::parse(&body)?;
    let message = pb::RegisterRequest {
        email: form.email,
        username: form.username,
        password: form.password,
        first_name: form.first_name,
        last_name: form.last_name,
    };
    state
        .auth
        .clone()
        .register(client_request(message, &client))
        .await
        .map_err(|status| ApiError::from(status).reworded(wording::registration))?;
    Ok(MessageResponse::new(
        "User registered successfully. Please check your email for verification.",
    ))
}

#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    params(("X-Token-Transport" = Option<String>, Header, description = "`cookie` for browser mode: the tokens go to HttpOnly cookies and the body is only `token_type` (`cookie`) and `expires_in`")),
    responses((status = 200, body = LoginAnswer, description = "The tokens, or for an account with two-factor authentication the challenge to finish at /api/auth/mfa/verify (no tokens)"), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let form = LoginRequest::parse(&body)?;
    state.limits.check_login(&form.email, client.ip).await?;
    let email = form.email.clone();
    let message = pb::LoginRequest {
        email: form.email,
        password: form.password,
    };
    match state.auth.clone().login(client_request(message, &client)).await {
        Ok(result) => match result.into_inner().outcome {
            Some(Outcome::Tokens(tokens)) => {
                metrics::counter!("auth_logins_total", "outcome" => "success").increment(1);
                state.limits.login_succeeded(&email, client.ip).await?;
                Ok(token_answer(&state, wants_cookies(&headers), tokens))
            }
            // The password was right; the login succeeds (and counts) with the second factor.
            Some(Outcome::Mfa(challenge)) => {
                let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
                let answer = LoginAnswer::Mfa(challenge.into());
                Ok((no_store, Json(answer)).into_response())
            }
            None => Err(ApiError::Internal(
                "a login answered neither tokens nor a challenge".into(),
            )),
        },
        Err(status) => {
            metrics::counter!("auth_logins_total", "outcome" => "failure").increment(1);
            if status.code() == tonic::Code::Unauthenticated {
                state.limits.login_failed(&email).await?;
            }
            Err(status.into())
        }
    }
}

#[utoipa::path(post, path = "/logout", tag = "auth", request_body(content = Option<LogoutRequest>),
    // Any bearer token is accepted (an invalid one has nothing to revoke), so auth is optional.
    security((), ("bearer" = [])),
    responses((status = 200, body = MessageResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Result<Option<JsonBody>, ApiError>,
) -> ApiResult<Response> {
    // Browser mode: no `Authorization` header, the tokens in cookies, CSRF proof required; the
    // answer clears the cookies.
    if let Some(access_token) = state.cookies.access_token(&headers) {
        state.cookies.check_csrf(&headers)?;
        let message = pb::LogoutRequest {
            access_token: Some(access_token.to_owned()),
            refresh_token: state.cookies.refresh_token(&headers).map(str::to_owned),
        };
        state
            .auth
            .clone()
            .logout(client_request(message, &client))
            .await?;
        let mut response = MessageResponse::new("Successfully logged out").into_response();
        state.cookies.clear(response.headers_mut());
        return Ok(response);
    }
    let Some(access_token) = bearer_token(&headers).map(str::to_owned) else {
        return Err(ApiError::Unauthorized("Invalid authorization header".into()));
    };
    let refresh_token = match body? {
        Some(body) => LogoutRequest::parse(&body)?.refresh_token,
        None => None,
    };
    let message = pb::LogoutRequest {
        access_token: Some(access_token),
        refresh_token,
    };
    state
        .auth
        .clone()
        .logout(client_request(message, &client))
        .await?;
    Ok(MessageResponse::new("Successfully logged out").into_response())
}

#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest,
    params(("X-Token-Transport" = Option<String>, Header, description = "`cookie` for browser mode, as at login; a request without a body token uses the refresh cookie and needs `X-CSRF-Token`")),
    responses((status = 200, body = TokensAnswer), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Result<Option<JsonBody>, ApiError>,
) -> ApiResult<Response> {
    let body = body?;
    let in_body = body.as_ref().is_some_and(|b| b.0.get("refresh_token").is_some());
    // Browser mode: no token in the body, the refresh cookie instead (CSRF proof required), and
    // the answer in cookies. Without either, the original's 422 below stands.
    let cookie = (!in_body)
        .then(|| state.cookies.refresh_token(&headers))
        .flatten();
    let (refresh_token, cookies) = match cookie {
        Some(token) => {
            state.cookies.check_csrf(&headers)?;
            (token.to_owned(), true)
        }
        None => {
            let body = body.unwrap_or(JsonBody(serde_json::Value::Object(Default::default())));
            (
                RefreshRequest::parse(&body)?.refresh_token,
                wants_cookies(&headers),
            )
        }
    };
    let message = pb::RefreshRequest { refresh_token };
    let tokens = state
        .auth
        .clone()
        .refresh(client_request(message, &client))
        .await?
        .into_inner();
    Ok(token_answer(&state, cookies, tokens))
}

#[utoipa::path(post, path = "/forgot-password", tag = "auth", request_body = EmailRequest,
    responses((status = 200, body = MessageResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    client: ClientInfo,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = EmailRequest::parse(&body)?;
    state.limits.check_reset_email(&form.email).await?;
    state
        .auth
        .clone()
        .forgot_password(client_request(pb::EmailRequest { email: form.email }, &client))
        .await?;
    Ok(MessageResponse::new(
        "If an account with that email exists, you will receive password reset instructions.",
    ))
}

#[utoipa::path(post, path = "/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn reset_password(
    State(state): State<AppState>,
    client: ClientInfo,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = ResetPasswordRequest::parse(&body)?;
    let message = pb::ResetPasswordRequest {
        token: form.token,
        new_password: form.new_password,
    };
    state
        .auth
        .clone()
        .reset_password(client_request(message, &client))
        .await?;
    Ok(MessageResponse::new("Password reset successfully"))
}

#[utoipa::path(post, path = "/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn verify_email(
    State(state): State<AppState>,
    client: ClientInfo,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = TokenRequest::parse(&body)?;
    state
        .auth
        .clone()
        .verify_email(client_request(pb::TokenRequest { token: form.token }, &client))
        .await?;
    Ok(MessageResponse::new("Email verified successfully"))
}

#[utoipa::path(post, path = "/resend-verification", tag = "auth", request_body = EmailRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    client: ClientInfo,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = EmailRequest::parse(&body)?;
    state
        .auth
        .clone()
        .resend_verification(client_request(pb::EmailRequest { email: form.email }, &client))
        .await?;
    Ok(MessageResponse::new(
        "If an unverified account with that email exists, verification email has been sent.",
    ))
}
