//! JWT access and refresh tokens: minted by `auth`, verified by the gateway and again by each
//! service with this same code. The algorithm is pinned, so `alg: none` or an RSA/HMAC
//! confusion is refused by construction.
use astro_platform::config::JwtSettings;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

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
#[error("JWT_ALGORITHM must be HS256, HS384 or HS512")]
pub struct UnsupportedAlgorithm;

struct KeyPair {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Signing and verification keys with the pinned validation rules. Built once per process.
pub struct TokenKeys {
    access: KeyPair,
    refresh: KeyPair,
    header: Header,
    validation: Validation,
    settings: JwtSettings,
}

/// A freshly minted token with its claims.
pub struct Minted {
    pub token: String,
    pub claims: Claims,
}

impl TokenKeys {
    pub fn new(settings: &JwtSettings) -> Result<Self, UnsupportedAlgorithm> {
        let algorithm = Algorithm::from_str(&settings.algorithm).map_err(|_| UnsupportedAlgorithm)?;
        if !matches!(algorithm, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(UnsupportedAlgorithm);
        }
        let pair = |secret: &secrecy::SecretString| KeyPair {
            encoding: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        Ok(Self {
            access: pair(&settings.secret),
            refresh: pair(&settings.refresh_secret),
            header: Header::new(algorithm),
            validation,
            settings: settings.clone(),
        })
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
        let token = jsonwebtoken::encode(&self.header, &claims, &self.keys(kind).encoding)
            .expect("HMAC signing of serialisable claims cannot fail");
        Minted { token, claims }
    }

    /// Verifies signature, algorithm, `exp`, `iss`, `aud` and that the token is of `kind`.
    /// A valid token of the other kind is [`TokenError::WrongType`].
    pub fn verify(&self, kind: TokenKind, token: &str) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let other = match kind {
            TokenKind::Access => TokenKind::Refresh,
            TokenKind::Refresh => TokenKind::Access,
        };
        match self.decode(kind, token) {
            Some(claims) if claims.kind == kind => Ok(claims),
            Some(_) => Err(TokenError::WrongType),
            None => match self.decode(other, token) {
                Some(_) => Err(TokenError::WrongType),
                None => Err(TokenError::Invalid),
            },
        }
    }

    fn decode(&self, key: TokenKind, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.keys(key).decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }

    fn keys(&self, kind: TokenKind) -> &KeyPair {
        match kind {
            TokenKind::Access => &self.access,
            TokenKind::Refresh => &self.refresh,
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
mod tests {
    use super::*;
    use std::time::Duration;

    fn keys() -> TokenKeys {
        TokenKeys::new(&JwtSettings {
            secret: "access-secret".into(),
            refresh_secret: "refresh-secret".into(),
            algorithm: "HS256".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
            issuer: "astro-auth".into(),
            audience: "astro-auth".into(),
            refresh_reuse_grace: Duration::from_secs(30),
        })
        .unwrap()
    }

    fn grant(admin: bool) -> Grant<'static> {
        Grant {
            user_id: 7,
            sid: "s1",
            auth_time: 1_700_000_000,
            admin,
            aal: 1,
        }
    }

    #[test]
    fn round_trip_and_kind_checks() {
        let keys = keys();
        let access = keys.mint(TokenKind::Access, &grant(false));
        assert_eq!(keys.verify(TokenKind::Access, &access.token).unwrap().sub, "7");
        assert_eq!(
            keys.verify(TokenKind::Refresh, &access.token),
            Err(TokenError::WrongType)
        );
        let refresh = keys.mint(TokenKind::Refresh, &grant(true));
        assert_eq!(
            keys.verify(TokenKind::Access, &refresh.token),
            Err(TokenError::WrongType)
        );
        assert_ne!(access.claims.jti, refresh.claims.jti);
    }

    #[test]
    fn only_access_tokens_vouch_for_admin_rights_and_only_when_asked() {
        let keys = keys();
        let verify = |kind, admin| {
            let minted = keys.mint(kind, &grant(admin));
            keys.verify(kind, &minted.token).unwrap().adm
        };
        assert!(verify(TokenKind::Access, true));
        assert!(!verify(TokenKind::Access, false));
        assert!(!verify(TokenKind::Refresh, true));
        // Not an admin: the claim is left out, as in every token minted before it existed.
        let plain = keys.mint(TokenKind::Access, &grant(false));
        let claims = serde_json::to_value(&plain.claims).unwrap();
        assert!(claims.get("adm").is_none(), "{claims}");
    }

    #[test]
    fn oversized_and_garbage_tokens_are_invalid() {
        let keys = keys();
        assert_eq!(keys.verify(TokenKind::Access, "abc"), Err(TokenError::Invalid));
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(keys.verify(TokenKind::Access, &huge), Err(TokenError::Invalid));
    }

    #[test]
    fn non_hmac_algorithms_are_refused_at_start() {
        let mut settings = keys().settings;
        settings.algorithm = "RS256".into();
        assert!(TokenKeys::new(&settings).is_err());
        settings.algorithm = "none".into();
        assert!(TokenKeys::new(&settings).is_err());
    }
}
