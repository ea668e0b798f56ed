//! `/api/user/sessions`: the caller's sessions and devices. Listing shows where and with what
//! each live session was last used; ending one revokes its tokens at once.
use crate::{
    error::ApiResult,
    extract::VerifiedUser,
    models::{ErrorResponse, MessageResponse},
    state::AppState,
};
use astro_platform::time;
use astro_proto::auth::v1 as auth_pb;
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes under `/api/user/sessions`, with their OpenAPI operations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_other_sessions))
}

#[derive(Serialize, ToSchema)]
pub struct SessionListResponse {
    pub sessions: Vec<SessionResponse>,
}

/// One live session; never any token material.
#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// Opaque (the tokens' `sid`).
    pub id: String,
    /// The session of the token this request came with.
    pub current: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
    pub ip: String,
    /// As sent, at most 512 bytes.
    pub user_agent: String,
    pub device: DeviceResponse,
    /// Authenticator assurance level: 1, a password.
    pub aal: i32,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceResponse {
    pub browser: String,
    pub os: String,
    /// `desktop`, `mobile`, `tablet`, `bot` or `other`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct RevokedResponse {
    pub revoked: u32,
}

impl From<auth_pb::Session> for SessionResponse {
    fn from(session: auth_pb::Session) -> Self {
        let at = |micros| time::to_rfc3339(time::micros_to_datetime(micros));
        let device = session.device.unwrap_or_default();
        SessionResponse {
            created_at: at(session.created_at),
            last_used_at: at(session.last_used_at),
            expires_at: at(session.expires_at),
            id: session.id,
            current: session.current,
            ip: session.ip,
            user_agent: session.user_agent,
            device: DeviceResponse {
                browser: device.browser,
                os: device.os,
                kind: device.r#type,
            },
            aal: session.aal,
        }
    }
}

#[utoipa::path(get, path = "/sessions", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = SessionListResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    me: VerifiedUser,
) -> ApiResult<Json<SessionListResponse>> {
    let listed = state
        .auth
        .clone()
        .list_sessions(me.caller.request(auth_pb::Empty {}))
        .await?
        .into_inner();
    Ok(Json(SessionListResponse {
        sessions: listed.sessions.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(delete, path = "/sessions/{id}", tag = "user", security(("bearer" = [])),
    params(("id" = String, Path, description = "The session's id, from the list")),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    me: VerifiedUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageResponse>> {
    state
        .auth
        .clone()
        .revoke_session(me.caller.request(auth_pb::RevokeSessionRequest { id }))
        .await?;
    Ok(MessageResponse::new("Session revoked"))
}

#[utoipa::path(post, path = "/sessions/revoke-others", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = RevokedResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    me: VerifiedUser,
) -> ApiResult<Json<RevokedResponse>> {
    let revoked = state
        .auth
        .clone()
        .revoke_other_sessions(me.caller.request(auth_pb::Empty {}))
        .await?
        .into_inner()
        .revoked;
    Ok(Json(RevokedResponse { revoked }))
}
