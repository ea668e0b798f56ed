//! `GET /.well-known/jwks.json`: the public keys access tokens are signed with
//! (`JWT_ALGORITHM=EdDSA`), so other services verify them locally with any JOSE library. The
//! gateway answers from its own copy of the keys, which it re-reads from the auth service
//! every few seconds; a next key is listed `JWT_KEY_PUBLISH_AHEAD_SECONDS` (the max-age below)
//! before it signs. With an HMAC algorithm the set is empty: that secret is never published.
use crate::{error::ApiError, state::AppState};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::IntoResponse,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// How long clients may cache the set; rotation publishes a next key at least this long
/// before it signs.
const CACHE_CONTROL: &str = "max-age=300";

/// A JSON Web Key Set (RFC 7517).
#[derive(Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// An Ed25519 public key (RFC 8037); never a private part.
#[derive(Serialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    #[schema(example = "OKP")]
    pub kty: String,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// Always `EdDSA`: the only algorithm a token with this `kid` is accepted with.
    #[schema(example = "EdDSA")]
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: String,
    /// The key's RFC 7638 thumbprint, as in the token header.
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// The public keys access tokens are signed with; empty unless `JWT_ALGORITHM=EdDSA`. 503
/// while the keys could never be read from the auth service (never an empty set to cache).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "meta",
    responses((status = 200, body = JwkSet,
        headers(("Cache-Control" = String, description = "max-age=300")))))]
pub async fn jwks(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let keys = state.keys.public_keys().await.map_err(|err| {
        astro_platform::dependency::record("auth", &err);
        ApiError::Unavailable
    })?;
    let keys = keys
        .iter()
        .map(|key| {
            let jwk = key.jwk();
            Jwk {
                kty: jwk.kty.into(),
                crv: jwk.crv.into(),
                alg: jwk.alg.into(),
                use_: jwk.use_.into(),
                kid: jwk.kid,
                x: jwk.x,
            }
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL))],
        Json(JwkSet { keys }),
    ))
}
