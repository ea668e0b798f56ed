//! An internal service that accepts astro-auth's access tokens: `GET /me` checks the token
//! locally against the JWKS (no call per request); `GET /me/exact` also asks `ValidateToken`,
//! so a logged-out token is refused at once. Both then read the caller from the user
//! directory over mutual TLS.
use astro_auth_client::{AstroAuth, Authenticated, BearerAuthLayer, JwksVerifier};
use axum::{Extension, Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn router(client: AstroAuth, verifier: Arc<JwksVerifier>) -> Router {
    let local = Router::new()
        .route("/me", get(me))
        .layer(BearerAuthLayer::local(Arc::clone(&verifier)));
    let exact = Router::new()
        .route("/me/exact", get(me))
        .layer(BearerAuthLayer::exact(verifier, client.clone()));
    local.merge(exact).with_state(client)
}

async fn me(
    State(client): State<AstroAuth>,
    Extension(caller): Extension<Authenticated>,
) -> Result<Json<Value>, StatusCode> {
    let id = caller.claims.user_id().ok_or(StatusCode::UNAUTHORIZED)?;
    let user = client
        .get_user(id)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(json!({
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "checked": if caller.validation.is_some() { "remote" } else { "local" },
    })))
}
