//! The OpenAPI 3.1 document: its frame (info, tags, the bearer scheme) here; its paths and
//! schemas from the handlers' annotations, which `routes::router` collects from the routers
//! themselves.
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Auth System API", description = "Authentication and user management"),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "user"), (name = "meta"), (name = "admin"))
)]
pub struct ApiDoc;

/// Adds what every operation can answer at the edge, once the routers have filled in the paths.
pub fn complete(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    EdgeResponses.modify(&mut spec);
    spec
}

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
        // Browser mode: the access token in an HttpOnly cookie (`__Host-astro_at` with
        // COOKIE_SECURE); writes also need `X-CSRF-Token` equal to the CSRF cookie.
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "astro_at",
                "Browser mode (login with `X-Token-Transport: cookie`). Writes need `X-CSRF-Token` \
                 equal to the `astro_csrf` cookie; an `Authorization` header always wins.",
            ))),
        );
    }
}

/// The answers any route can give at the edge, documented on every operation so clients (and
/// schema checkers) know them: 429 and 503 everywhere; 413 where there is a body; 401 and 403
/// where a bearer token is required.
struct EdgeResponses;

impl Modify for EdgeResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, RefOr, ResponseBuilder, content::Content};
        let error = || Content::new(Some(Ref::from_schema_name("ErrorResponse")));
        let response = |text: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(text)
                    .content("application/json", error())
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let mut add = |code: &str, text: &str| {
                    operation
                        .responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| response(text));
                };
                add("429", "Too many requests");
                add("503", "Service temporarily unavailable");
                if operation.request_body.is_some() {
                    add("413", "Request body too large");
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "Invalid, expired or revoked token");
                    add("403", "Not authenticated, or not allowed");
                }
            }
        }
    }
}
