//! JWT access and refresh tokens: minted by `auth`, verified by the gateway and again by each
//! service with this same code. The algorithm is pinned, so `alg: none` or an RSA/HMAC
//! confusion is refused by construction: with an HMAC `JWT_ALGORITHM` that algorithm, with
//! `EdDSA` the one of the token's `kid` (an HS256 token keyed with a public key is refused).
//! Refresh tokens are HMAC-signed with `JWT_REFRESH_SECRET` either way: only `auth` reads them.
use crate::{
    key_ring::KeyRing,
    signing_keys::{KeySource, PublicKey},
};
use astro_platform::config::JwtSettings;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::{str::FromStr, sync::Arc, time::Duration};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Clock skew tolerated between processes.
const LEEWAY_SECS: u64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (as the original).
    pub sub: String,
    #[serde(rename = "type")]
    pub kind: TokenKind,
    pub exp: i64,
    pub iat: i64,
    /// Unique per token.
    pub jti: String,
    /// The login session this token belongs to.
    pub sid: String,
    pub iss: String,
    pub aud: String,
    /// Set on an access token when its user was an active, verified admin as it was minted.
    /// Every change of those rights (role, disabling, unverifying, deletion) ends the user's
    /// sessions, revoking this token, so while it is not revoked the claim holds and an admin
    /// check may skip looking the user up. Absent: look the user up.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adm: bool,
    /// When the user last proved who they are (the login that opened the session), seconds
    /// since the epoch; a refresh carries it over. Absent on tokens minted before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authenticator assurance level of that authentication: 1 a password, 2 a password and a
    /// second factor. Absent on tokens minted before it existed: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aal: Option<i32>,
    /// How the user authenticated (RFC 8176): `["pwd"]`, or `["pwd", "otp"]` at level 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

/// Whom a token is for.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'a> {
    pub user_id: i64,
    /// The login session.
    pub sid: &'a str,
    /// When the session's login happened (seconds since the epoch).
    pub auth_time: i64,
    /// The user is an active, verified admin now ([`Claims::adm`]; access tokens only).
    pub admin: bool,
    /// The assurance level of that authentication ([`Claims::aal`]).
    pub aal: i32,
}

impl Claims {
    pub fn user_id(&self) -> Result<i64, TokenError> {
        self.sub.parse().map_err(|_| TokenError::Invalid)
    }

    /// [`Claims::auth_time`], or for older tokens the best known bound, their `iat`.
    pub fn authenticated_at(&self) -> i64 {
        self.auth_time.unwrap_or(self.iat)
    }

    /// [`Claims::aal`], 1 for older tokens.
    pub fn assurance(&self) -> i32 {
        self.aal.unwrap_or(1)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("could not validate credentials")]
    Invalid,
    #[error("invalid token type")]
    WrongType,
}

#[derive(Debug, thiserror::Error)]
#[error("JWT_ALGORITHM must be HS256, HS384, HS512 or EdDSA")]
pub struct UnsupportedAlgorithm;

/// A process that learns of a token with an unknown `kid` reads the keys again at most this
/// often (they are re-read every `JWT_KEYS_REFRESH_SECONDS` anyway).
const UNKNOWN_KID_REFETCH_GAP: Duration = Duration::from_secs(1);

/// An HMAC secret with its algorithm.
struct Hmac {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
}

impl Hmac {
    fn new(secret: &secrecy::SecretString, algorithm: Algorithm, settings: &JwtSettings) -> Hmac {
        Hmac {
            encoding: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            header: Header::new(algorithm),
            validation: validation(algorithm, settings),
        }
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        decode_with(token, &self.decoding, &self.validation)
    }

    fn sign(&self, claims: &Claims) -> jsonwebtoken::errors::Result<String> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
    }
}

/// How access tokens are signed.
enum AccessKeys {
    Hmac(Box<Hmac>),
    /// Ed25519 keys named by `kid`, from the ring.
    Signed {
        ring: Arc<KeyRing>,
        validation: Box<Validation>,
    },
}

/// Signing and verification keys with the pinned validation rules. Built once per process.
pub struct TokenKeys {
    access: AccessKeys,
    refresh: Hmac,
    settings: JwtSettings,
}

/// A freshly minted token with its claims.
pub struct Minted {
    pub token: String,
    pub claims: Claims,
}

fn validation(algorithm: Algorithm, settings: &JwtSettings) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECS;
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
    validation
}

fn decode_with(token: &str, key: &DecodingKey, validation: &Validation) -> Option<Claims> {
    jsonwebtoken::decode::<Claims>(token, key, validation)
        .ok()
        .map(|data| data.claims)
}

/// The seconds a token signed at the last moment of a key may still be used after it: the
/// access-token lifetime and the clock skew tolerated.
pub fn key_overlap_secs(settings: &JwtSettings) -> i64 {
    (settings.access_ttl.as_secs() + LEEWAY_SECS) as i64
}

impl TokenKeys {
    /// The keys `settings` name. With `EdDSA`, the access keys come from `source` (needed
    /// then, unused otherwise), re-read every `JWT_KEYS_REFRESH_SECONDS` from now on; see
    /// [`TokenKeys::load`].
    pub fn new(
        settings: &JwtSettings,
        source: Option<Arc<dyn KeySource>>,
    ) -> Result<Self, UnsupportedAlgorithm> {
        let algorithm = Algorithm::from_str(&settings.algorithm).map_err(|_| UnsupportedAlgorithm)?;
        let (access, refresh_algorithm) = match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => (
                AccessKeys::Hmac(Box::new(Hmac::new(&settings.secret, algorithm, settings))),
                algorithm,
            ),
            Algorithm::EdDSA => {
                let source = source.ok_or(UnsupportedAlgorithm)?;
                let ring = KeyRing::new(source, UNKNOWN_KID_REFETCH_GAP);
                ring.keep_fresh(settings.keys_refresh);
                let validation = Box::new(validation(Algorithm::EdDSA, settings));
                (AccessKeys::Signed { ring, validation }, Algorithm::HS256)
            }
            _ => return Err(UnsupportedAlgorithm),
        };
        Ok(Self {
            access,
            refresh: Hmac::new(&settings.refresh_secret, refresh_algorithm, settings),
            settings: settings.clone(),
        })
    }

    /// Reads the signing keys now (nothing to read with an HMAC algorithm). The auth service
    /// starts only once this succeeds; the others verify with what a later refresh brings.
    pub async fn load(&self) -> Result<(), crate::signing_keys::KeySourceError> {
        match &self.access {
            AccessKeys::Hmac(_) => Ok(()),
            AccessKeys::Signed { ring, .. } => ring.refresh().await,
        }
    }

    /// The public keys access tokens are verified with (none with an HMAC algorithm, whose
    /// secret is never published); an error when they could never be read.
    pub async fn public_keys(&self) -> Result<Vec<PublicKey>, crate::signing_keys::KeySourceError> {
        match &self.access {
            AccessKeys::Hmac(_) => Ok(Vec::new()),
            AccessKeys::Signed { ring, .. } => ring.public_keys().await,
        }
    }

    pub fn access_ttl_secs(&self) -> u64 {
        self.settings.access_ttl.as_secs()
    }

    /// How long after its rotation a refresh token still gets its successor again.
    pub fn refresh_grace_micros(&self) -> i64 {
        self.settings.refresh_reuse_grace.as_micros() as i64
    }

    /// Mints a token of `kind` for `grant`, with a fresh `jti`; [`Claims::adm`] only on access
    /// tokens (a refresh re-reads the user).
    pub fn mint(&self, kind: TokenKind, grant: &Grant<'_>) -> Minted {
        let now = astro_platform::time::now_secs();
        let ttl = match kind {
            TokenKind::Access => self.settings.access_ttl,
            TokenKind::Refresh => self.settings.refresh_ttl,
        };
        let jti = uuid::Uuid::new_v4().simple().to_string();
        self.reissue(kind, grant, &jti, now, now + ttl.as_secs() as i64)
    }

    /// The token of `kind` for `grant` with this `jti`, `iat` and `exp`: byte for byte the one
    /// minted with them before (the claims serialise in one order, and HMAC is deterministic).
    pub fn reissue(&self, kind: TokenKind, grant: &Grant<'_>, jti: &str, iat: i64, exp: i64) -> Minted {
        let claims = Claims {
            sub: grant.user_id.to_string(),
            kind,
            exp,
            iat,
            jti: jti.to_owned(),
            sid: grant.sid.to_owned(),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            adm: grant.admin && kind == TokenKind::Access,
            auth_time: Some(grant.auth_time),
            aal: Some(grant.aal),
            amr: Some(amr(grant.aal)),
        };
        let token = match (kind, &self.access) {
            (TokenKind::Access, AccessKeys::Signed { ring, .. }) => {
                let (kid, key) = ring
                    .signing_key(claims.iat)
                    .expect("only the auth service mints, and it starts with a key loaded");
                let mut header = Header::new(Algorithm::EdDSA);
                header.kid = Some(kid);
                jsonwebtoken::encode(&header, &claims, &key)
            }
            (TokenKind::Access, AccessKeys::Hmac(hmac)) => hmac.sign(&claims),
            (TokenKind::Refresh, _) => self.refresh.sign(&claims),
        }
        .expect("signing serialisable claims with a loaded key cannot fail");
        Minted { token, claims }
    }

    /// Verifies signature, algorithm, `exp`, `iss`, `aud` and that the token is of `kind`.
    /// A valid token of the other kind is [`TokenError::WrongType`].
    pub async fn verify(&self, kind: TokenKind, token: &str) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let other = match kind {
            TokenKind::Access => TokenKind::Refresh,
            TokenKind::Refresh => TokenKind::Access,
        };
        match self.decode(kind, token, true).await {
            Some(claims) if claims.kind == kind => Ok(claims),
            Some(_) => Err(TokenError::WrongType),
            // Which kind it is does not justify fetching keys.
            None => match self.decode(other, token, false).await {
                Some(_) => Err(TokenError::WrongType),
                None => Err(TokenError::Invalid),
            },
        }
    }

    /// Decodes with the keys of tokens of `key`'s kind; an unknown `kid` may fetch the keys
    /// again when `may_fetch`.
    async fn decode(&self, key: TokenKind, token: &str, may_fetch: bool) -> Option<Claims> {
        match (key, &self.access) {
            (TokenKind::Refresh, _) => self.refresh.decode(token),
            (TokenKind::Access, AccessKeys::Hmac(hmac)) => hmac.decode(token),
            (TokenKind::Access, AccessKeys::Signed { ring, validation }) => {
                // The key, hence the algorithm, is the `kid`'s; a token without one is not ours.
                let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
                let key = if may_fetch {
                    ring.verifying_key(&kid).await?
                } else {
                    ring.known_verifying_key(&kid)?
                };
                decode_with(token, &key, validation)
            }
        }
    }
}

/// The methods behind an assurance level: a password, and at level 2 a one-time code.
fn amr(aal: i32) -> Vec<String> {
    let mut methods = vec!["pwd".to_owned()];
    if aal >= 2 {
        methods.push("otp".to_owned());
    }
    methods
}

#[cfg(test)]
mod tests;
