//! `/api/admin`: user management, statistics and the audit log, for verified admins. The edge
//! checks the caller's rights ([`AdminUser`]); the admin service checks them again on every
//! call, the same way.
mod models;
mod params;
mod queries;

pub use models::{
    AdminUpdateUserRequest, AuditEventResponse, AuditLogResponse, RoleUpdateRequest, StatsResponse,
    UserListResponse,
};
pub use queries::{AuditLogQuery, UserListQuery};

use crate::{
    error::{ApiError, ApiResult},
    extract::{Caller, VerifiedUser},
    json::JsonBody,
    models::{ErrorResponse, MessageResponse, UserResponse, ValidationErrorResponse},
    state::AppState,
};
use astro_domain::{Role, reason::Reason};
use astro_proto::{admin::v1 as admin_pb, user::v1 as user_pb};
use axum::{
    Json,
    extract::{FromRequestParts, Path, Query, State},
    http::request::Parts,
};
use models::wire_role;
use params::path_id;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes under `/api/admin`, with their OpenAPI operations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(change_role))
        .routes(routes!(reset_mfa))
        .routes(routes!(stats))
        .routes(routes!(audit_log))
}

/// A verified, active caller whose role is admin: vouched for by their access token
/// ([`astro_security::tokens::Claims::adm`]), so an admin route costs no user lookup here;
/// otherwise looked up, which also says what they lack.
pub struct AdminUser(pub Caller);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.claims.adm {
            return Ok(AdminUser(caller));
        }
        let me = VerifiedUser::look_up(caller, state).await?;
        if Role::from_wire(me.user.role) != Some(Role::Admin) {
            return Err(ApiError::Refused(Reason::NotAdmin));
        }
        Ok(AdminUser(me.caller))
    }
}

type QueryPairs = Query<Vec<(String, String)>>;

#[utoipa::path(get, path = "/users", tag = "admin", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, body = UserListResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn list_users(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Query(pairs): QueryPairs,
) -> ApiResult<Json<UserListResponse>> {
    let query = UserListQuery::parse(pairs)?;
    let request = query.request();
    let listed = state
        .admin
        .clone()
        .list_users(caller.request(request))
        .await?
        .into_inner();
    Ok(Json(UserListResponse::new(
        listed.users,
        listed.total,
        query.page,
        query.per_page,
    )))
}

#[utoipa::path(get, path = "/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = UserResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn get_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<UserResponse>> {
    let request = admin_pb::UserIdRequest {
        id: path_id("id", &id)?,
    };
    let user = state
        .admin
        .clone()
        .get_user(caller.request(request))
        .await?
        .into_inner();
    Ok(Json(UserResponse::from(user)))
}

#[utoipa::path(delete, path = "/users/{id}/mfa", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
/// Turns a user's two-factor authentication off (a lost device); audited, the user is emailed.
pub async fn reset_mfa(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageResponse>> {
    let request = astro_proto::auth::v1::ResetUserMfaRequest {
        user_id: path_id("id", &id)?,
    };
    state.auth.clone().reset_user_mfa(caller.request(request)).await?;
    Ok(MessageResponse::new("Two-factor authentication reset"))
}

#[utoipa::path(put, path = "/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)), request_body = AdminUpdateUserRequest,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn update_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<UserResponse>> {
    let id = path_id("id", &id)?;
    let form = AdminUpdateUserRequest::parse(&body)?;
    let request = user_pb::UpdateUserRequest {
        id,
        email: form.email,
        username: form.username,
        first_name: form.first_name,
        last_name: form.last_name,
        role: form.role.as_deref().map(wire_role),
        is_verified: form.is_verified,
        is_active: form.is_active,
    };
    let user = state
        .admin
        .clone()
        .update_user(caller.request(request))
        .await?
        .into_inner();
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = MessageResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn delete_user(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageResponse>> {
    let request = admin_pb::UserIdRequest {
        id: path_id("id", &id)?,
    };
    state.admin.clone().delete_user(caller.request(request)).await?;
    Ok(MessageResponse::new("User deleted successfully"))
}

#[utoipa::path(put, path = "/users/{id}/role", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)), request_body = RoleUpdateRequest,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn change_role(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<UserResponse>> {
    let id = path_id("id", &id)?;
    let role = wire_role(&RoleUpdateRequest::parse(&body)?.role);
    let request = admin_pb::ChangeRoleRequest { id, role };
    let user = state
        .admin
        .clone()
        .change_role(caller.request(request))
        .await?
        .into_inner();
    Ok(Json(user.into()))
}

#[utoipa::path(get, path = "/stats", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StatsResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn stats(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
) -> ApiResult<Json<StatsResponse>> {
    let request = caller.request(user_pb::GetStatsRequest {});
    Ok(Json(
        state.admin.clone().get_stats(request).await?.into_inner().into(),
    ))
}

#[utoipa::path(get, path = "/audit-log", tag = "admin", security(("bearer" = [])), params(AuditLogQuery),
    responses((status = 200, body = AuditLogResponse), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn audit_log(
    State(state): State<AppState>,
    AdminUser(caller): AdminUser,
    Query(pairs): QueryPairs,
) -> ApiResult<Json<AuditLogResponse>> {
    let query = AuditLogQuery::parse(pairs)?;
    let request = query.request();
    let listed = state
        .admin
        .clone()
        .list_audit_log(caller.request(request))
        .await?
        .into_inner();
    Ok(Json(AuditLogResponse {
        events: listed.events.into_iter().map(AuditEventResponse::from).collect(),
        total: listed.total,
        page: query.page,
        per_page: query.per_page,
        pages: models::pages(listed.total, query.per_page),
    }))
}
