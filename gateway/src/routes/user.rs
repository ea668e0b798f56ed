//! `/api/user`: the verified caller's own profile, password and account.
use crate::{error::ApiResult, extract::VerifiedUser, json::JsonBody, models::*, state::AppState};
use astro_proto::{auth::v1 as auth_pb, user::v1 as user_pb};
use axum::{Json, extract::State};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes under `/api/user`, with their OpenAPI operations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_profile, update_profile))
        .routes(routes!(change_password))
        .routes(routes!(delete_account))
        .routes(super::avatar::upload_route())
        .merge(super::sessions::router())
        .merge(super::mfa::user_router())
}

#[utoipa::path(get, path = "/profile", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn get_profile(me: VerifiedUser) -> ApiResult<Json<UserResponse>> {
    Ok(Json(UserResponse::from(me.user)))
}

#[utoipa::path(put, path = "/profile", tag = "user", security(("bearer" = [])), request_body = UpdateProfileRequest,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn update_profile(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: JsonBody,
) -> ApiResult<Json<UserResponse>> {
    let form = UpdateProfileRequest::parse(&body)?;
    let message = user_pb::UpdateProfileRequest {
        id: me.user.id,
        first_name: form.first_name,
        last_name: form.last_name,
        avatar_url: form.avatar_url,
    };
    let user = state
        .users
        .clone()
        .update_profile(me.caller.request(message))
        .await?
        .into_inner();
    Ok(Json(user.into()))
}

#[utoipa::path(post, path = "/change-password", tag = "user", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn change_password(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: JsonBody,
) -> ApiResult<Json<MessageResponse>> {
    let form = ChangePasswordRequest::parse(&body)?;
    let message = auth_pb::ChangePasswordRequest {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    state
        .auth
        .clone()
        .change_password(me.caller.request(message))
        .await?;
    Ok(MessageResponse::new("Password changed successfully"))
}

#[utoipa::path(delete, path = "/account", tag = "user", security(("bearer" = [])), request_body(content = Option<DeleteAccountRequest>),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn delete_account(
    State(state): State<AppState>,
    me: VerifiedUser,
    body: Option<JsonBody>,
) -> ApiResult<Json<MessageResponse>> {
    let password = body
        .and_then(|b| serde_json::from_value::<DeleteAccountRequest>(b.0).ok())
        .and_then(|b| b.password);
    state
        .auth
        .clone()
        .delete_account(me.caller.request(auth_pb::DeleteAccountRequest { password }))
        .await?;
    Ok(MessageResponse::new("Account deleted successfully"))
}
