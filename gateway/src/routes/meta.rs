//! Liveness, the API banner, and the documentation pages.
use crate::state::AppState;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: String,
    pub environment: String,
}

#[derive(Serialize, ToSchema)]
pub struct RootResponse {
    pub message: String,
    pub version: String,
    pub docs: String,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/redoc", get(redoc))
        .route("/redoc/redoc.standalone.js", get(redoc_script))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", crate::openapi::ApiDoc::openapi()))
}

#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, body = HealthResponse)))]
pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "healthy".into(),
        environment: state.environment.to_string(),
    })
}

#[utoipa::path(get, path = "/", tag = "meta", responses((status = 200, body = RootResponse)))]
pub async fn root() -> Json<RootResponse> {
    Json(RootResponse {
        message: "Astro Auth System API".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        docs: "/docs".into(),
    })
}

/// ReDoc with its script served from here, so the page works without internet access.
async fn redoc() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html><head><title>Astro Auth System API - ReDoc</title>",
        "<meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "</head><body><redoc spec-url=\"/openapi.json\"></redoc>",
        "<script src=\"/redoc/redoc.standalone.js\"></script></body></html>"
    ))
}

async fn redoc_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_bytes!("../../assets/redoc.standalone.js").as_slice(),
    )
}
