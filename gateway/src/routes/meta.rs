//! Liveness, readiness and the API banner.
use crate::state::AppState;
use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use std::time::Duration;
use tonic_health::pb::health_check_response::ServingStatus;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

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

/// `/`, `/health` and `/ready`, with their OpenAPI operations.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(health))
        .routes(routes!(ready))
}

#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, body = HealthResponse)))]
pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "healthy".into(),
        environment: state.environment.to_string(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ReadyResponse {
    /// `ready` or `not ready`.
    pub status: String,
    /// Each dependency: `ok` or `unavailable`.
    pub checks: std::collections::BTreeMap<String, String>,
}

/// Ready when Redis (if configured) and every service answer; services report their own
/// database health through `grpc.health.v1`.
#[utoipa::path(get, path = "/ready", tag = "meta",
    responses((status = 200, body = ReadyResponse), (status = 503, body = ReadyResponse)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyResponse>) {
    let store = async { state.revocations.ready().await && state.limits.ready().await };
    let services = futures_util::future::join_all(state.health.iter().map(|(name, client)| async move {
        let request = tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        };
        let mut client = client.clone();
        let check = tokio::time::timeout(Duration::from_secs(2), client.check(request));
        let ok = matches!(check.await, Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32);
        (name.to_string(), ok)
    }));
    let (store_ok, services) = tokio::join!(store, services);
    let mut checks = std::collections::BTreeMap::new();
    let mut all_ok = store_ok;
    checks.insert("store".to_owned(), verdict(store_ok));
    for (name, ok) in services {
        all_ok &= ok;
        checks.insert(name, verdict(ok));
    }
    let (status, word) = if all_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    };
    (
        status,
        Json(ReadyResponse {
            status: word.into(),
            checks,
        }),
    )
}

fn verdict(ok: bool) -> String {
    if ok { "ok" } else { "unavailable" }.to_owned()
}

#[utoipa::path(get, path = "/", tag = "meta", responses((status = 200, body = RootResponse)))]
pub async fn root() -> Json<RootResponse> {
    Json(RootResponse {
        message: "Astro Auth System API".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        docs: "/docs".into(),
    })
}
