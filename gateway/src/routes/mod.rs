//! The HTTP surface: one router per area, FastAPI-style 404/405 answers, and the edge layers.
pub mod admin;
pub mod auth;
pub mod avatar;
pub mod docs;
pub mod jwks;
pub mod meta;
pub mod mfa;
pub mod sessions;
pub mod user;

use crate::{client::ClientInfo, openapi, state::AppState};
use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use std::{sync::Arc, time::Duration};
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

/// Same-origin only; Swagger UI and ReDoc need inline styles and `data:`/`blob:` images
/// and workers, nothing from elsewhere. Frames are denied.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data: blob: https:; worker-src 'self' blob:; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'self'";

/// A request (including reading its body) that takes longer than this is answered 408, so
/// slow clients cannot hold workers forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Request bodies above this get 413 (the avatar upload has its own, larger limit).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole HTTP surface. The OpenAPI document served at `/openapi.json` is generated from
/// the same routers that serve the API, so no route can go undocumented.
///
/// The edge layers wrap the router once, not each route (`Router::layer` would): axum clones
/// a route's whole service stack for every request, and with the layers on every method of
/// every route that was some 70 boxed clones and as many allocations per request.
pub fn router(state: AppState, cors_origins: &[String]) -> Router {
    let (api, spec) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(meta::router())
        .merge(jwks::router())
        .nest("/api/auth", auth::router())
        .nest("/api/user", user::router())
        .nest("/api/admin", admin::router())
        .split_for_parts();
    let routes = Router::new()
        .merge(api)
        .merge(docs::router(openapi::complete(spec)))
        .merge(avatar::media_router())
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({ "detail": "Not Found" }))) })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                Json(json!({ "detail": "Method Not Allowed" })),
            )
        })
        .route("/metrics", get(|| async { astro_platform::metrics::render() }))
        .route_layer(axum::middleware::from_fn(http_metrics))
        .with_state(state.clone());
    // Outermost first.
    let edge = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // Into axum's body type, whose `Default` the timeout's 408 needs.
        .map_response(IntoResponse::into_response)
        // No line of its own per 5xx: each is logged where it is made (an internal error with
        // its cause; a dependency failure rate-limited), and a second line per request is what
        // turned an outage under load into a flood of logs.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_failure(()),
        )
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(axum::middleware::map_response(credentials_only_with_origin))
        .layer(cors(cors_origins))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state, rate_limit))
        .service(routes);
    Router::new().fallback_service(edge)
}

/// The span of one HTTP request, continuing the caller's trace if it sent `traceparent`.
fn request_span(request: &Request) -> tracing::Span {
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{} {}", request.method(), request.uri().path()),
        http.method = %request.method(),
        http.target = %request.uri().path(),
        trace_id = tracing::field::Empty,
    );
    astro_platform::telemetry::continue_trace(&span, request.headers());
    span
}

/// Requests by route, method and status, and their latency (`http_requests_total`,
/// `http_request_duration_seconds`).
async fn http_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

/// Counts every request against its per-IP limits and reports the tightest in `RateLimit-*`.
async fn rate_limit(
    State(state): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    match state
        .limits
        .check_request(request.method(), request.uri().path(), client.ip)
        .await
    {
        Ok(None) => next.run(request).await,
        Ok(Some(quota)) => {
            let mut response = next.run(request).await;
            // A limit the handler hit (per email, per account) is the one to report.
            if !response.headers().contains_key("ratelimit-limit") {
                quota.write_headers(response.headers_mut());
            }
            response
        }
        Err(err) => err.into_response(),
    }
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Exact origins only, with credentials; never a wildcard.
/// tower-http sends `Access-Control-Allow-Credentials` whatever the origin; an origin that is
/// not allowed gets no CORS header at all, so nothing suggests credentials are welcome.
async fn credentials_only_with_origin(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    response
}

/// CORS for the exact `origins`. The list is shared, so the layer's per-request clone does not
/// copy it.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Arc<[HeaderValue]> = origins
        .iter()
        .filter_map(|o| o.trim_end_matches('/').parse().ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| origins.contains(origin)))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static(crate::cookies::CSRF_HEADER),
            HeaderName::from_static(crate::cookies::TRANSPORT_HEADER),
        ])
        .max_age(Duration::from_secs(600))
}
