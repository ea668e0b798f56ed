//! Access tokens checked locally against the gateway's JWKS: no call per request, but a
//! logged-out or revoked token passes until it expires (use `ValidateToken` when that matters).
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};
use tokio::sync::Mutex;

/// An unknown `kid` fetches the set again at most this often, so made-up `kid`s cannot make
/// this service hammer the gateway.
const REFETCH_GAP: Duration = Duration::from_secs(60);

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("no bearer token")]
    Missing,
    #[error("invalid or expired token")]
    Invalid,
    #[error("token revoked")]
    Inactive,
    #[error("token check unavailable")]
    Unavailable,
}

/// What a good access token says.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The login session.
    pub sid: String,
    pub jti: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub auth_time: Option<i64>,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    crv: String,
    #[serde(default)]
    alg: String,
    kid: String,
    #[serde(default)]
    x: String,
}

pub struct JwksVerifier {
    url: String,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the set was last fetched; held while fetching, so concurrent misses fetch once.
    fetched_at: Mutex<Option<Instant>>,
    validation: Validation,
}

impl JwksVerifier {
    /// Verifies tokens of `issuer` for `audience` (both `astro-auth` by default) with the keys
    /// at `jwks_url` (`https://…/.well-known/jwks.json`), fetched on first use.
    pub fn new(jwks_url: &str, issuer: &str, audience: &str) -> JwksVerifier {
        // reqwest is built with rustls and no default crypto provider: pick one once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The algorithm is pinned: whatever a token's header says, only EdDSA is tried.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 5;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        JwksVerifier {
            url: jwks_url.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("a TLS client"),
            keys: RwLock::default(),
            fetched_at: Mutex::new(None),
            validation,
        }
    }

    /// The claims of a good access token (signature by a listed key, `exp`, `iss`, `aud`,
    /// `"type": "access"`).
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, Rejected> {
        let kid = jsonwebtoken::decode_header(token)
            .map_err(|_| Rejected::Invalid)?
            .kid
            .ok_or(Rejected::Invalid)?;
        let key = match self.known(&kid) {
            Some(key) => key,
            None => self.refetch_for(&kid).await?.ok_or(Rejected::Invalid)?,
        };
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &key, &self.validation)
            .map_err(|_| Rejected::Invalid)?
            .claims;
        if claims.kind != "access" {
            return Err(Rejected::Invalid);
        }
        Ok(claims)
    }

    fn known(&self, kid: &str) -> Option<DecodingKey> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(kid)
            .cloned()
    }

    /// Fetches the set for an unknown `kid`, unless it was fetched within [`REFETCH_GAP`].
    async fn refetch_for(&self, kid: &str) -> Result<Option<DecodingKey>, Rejected> {
        let mut fetched_at = self.fetched_at.lock().await;
        if let Some(key) = self.known(kid) {
            return Ok(Some(key));
        }
        if fetched_at.is_some_and(|at| at.elapsed() < REFETCH_GAP) {
            return Ok(None);
        }
        *fetched_at = Some(Instant::now());
        let set: JwkSet = async {
            self.http
                .get(&self.url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await
        }
        .await
        .map_err(|_: reqwest::Error| Rejected::Unavailable)?;
        let keys = set
            .keys
            .into_iter()
            .filter(|jwk| jwk.kty == "OKP" && jwk.crv == "Ed25519" && jwk.alg == "EdDSA")
            .filter_map(|jwk| Some((jwk.kid, DecodingKey::from_ed_components(&jwk.x).ok()?)))
            .collect();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        Ok(self.known(kid))
    }
}
