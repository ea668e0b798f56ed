//! The OpenAPI 3.1 document, generated from the handlers' annotations.
use crate::{error::FieldError, models::*, routes};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Auth System API", description = "Authentication and user management"),
    paths(
        routes::meta::root,
        routes::meta::health,
        routes::meta::ready,
        routes::auth::register,
        routes::auth::login,
        routes::auth::logout,
        routes::auth::refresh,
        routes::auth::forgot_password,
        routes::auth::reset_password,
        routes::auth::verify_email,
        routes::auth::resend_verification,
        routes::user::get_profile,
        routes::user::update_profile,
        routes::user::change_password,
        routes::user::delete_account,
        routes::admin::list_users,
        routes::admin::get_user,
        routes::admin::update_user,
        routes::admin::delete_user,
        routes::admin::change_role,
        routes::admin::stats,
        routes::admin::audit_log,
        routes::avatar::upload_avatar,
    ),
    components(schemas(FieldError, MessageResponse, ErrorResponse, ValidationErrorResponse, TokenResponse, UserResponse,
        routes::admin::UserListResponse, routes::admin::StatsResponse, routes::admin::AuditEventResponse,
        routes::admin::AuditLogResponse, routes::admin::AdminUpdateUserRequest, routes::admin::RoleUpdateRequest)),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "user"), (name = "meta"), (name = "admin"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
