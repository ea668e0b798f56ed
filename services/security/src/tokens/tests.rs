use super::*;
use crate::signing_keys::{KeySet, KeySourceError, NewKeyPair, PrivateKey};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use std::sync::Mutex;

fn settings(algorithm: &str) -> JwtSettings {
    JwtSettings {
        secret: "access-secret".into(),
        refresh_secret: "refresh-secret".into(),
        algorithm: algorithm.into(),
        access_ttl: Duration::from_secs(900),
        refresh_ttl: Duration::from_secs(3600),
        issuer: "astro-auth".into(),
        audience: "astro-auth".into(),
        refresh_reuse_grace: Duration::from_secs(30),
        keys_refresh: Duration::from_secs(5),
        key_publish_ahead: Duration::from_secs(300),
    }
}

fn keys() -> TokenKeys {
    TokenKeys::new(&settings("HS256"), None).unwrap()
}

/// Keys held in memory, changed by the test; counts its fetches.
#[derive(Default)]
struct Keys {
    set: Mutex<KeySet>,
    fetches: Mutex<u32>,
}

impl Keys {
    fn add(&self, pair: &NewKeyPair, not_before: i64, private: bool) {
        let mut set = self.set.lock().unwrap();
        set.public.push(PublicKey {
            kid: pair.kid.clone(),
            key: pair.public,
            not_before,
            not_after: None,
        });
        if private {
            set.private
                .push(PrivateKey::from_seed(pair.kid.clone(), &pair.seed, not_before).unwrap());
        }
    }
}

#[async_trait::async_trait]
impl KeySource for Keys {
    async fn fetch(&self) -> Result<KeySet, KeySourceError> {
        *self.fetches.lock().unwrap() += 1;
        Ok(self.set.lock().unwrap().clone())
    }
}

/// A signing ring over `source` and a verifier that only has the public keys.
async fn signed(source: &Arc<Keys>) -> TokenKeys {
    let keys = TokenKeys::new(&settings("EdDSA"), Some(Arc::clone(source) as _)).unwrap();
    keys.load().await.unwrap();
    keys
}

fn header(token: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(token).unwrap()
}

#[tokio::test]
async fn eddsa_tokens_carry_the_kid_of_the_key_signing_now() {
    let source = Arc::new(Keys::default());
    let (first, next) = (NewKeyPair::generate(), NewKeyPair::generate());
    source.add(&first, 0, true);
    // Published, not yet signing.
    source.add(&next, i64::MAX, true);
    let keys = signed(&source).await;
    let access = keys.mint(TokenKind::Access, &grant(false));
    assert_eq!(header(&access.token).alg, Algorithm::EdDSA);
    assert_eq!(header(&access.token).kid.as_deref(), Some(first.kid.as_str()));
    assert_eq!(
        keys.verify(TokenKind::Access, &access.token).await.unwrap().sub,
        "7"
    );
    // Refresh tokens stay HMAC, with no kid.
    let refresh = keys.mint(TokenKind::Refresh, &grant(false));
    assert_eq!(header(&refresh.token).alg, Algorithm::HS256);
    assert!(header(&refresh.token).kid.is_none());
    assert!(keys.verify(TokenKind::Refresh, &refresh.token).await.is_ok());
    assert_eq!(
        keys.verify(TokenKind::Access, &refresh.token).await,
        Err(TokenError::WrongType)
    );
    assert_eq!(
        keys.verify(TokenKind::Refresh, &access.token).await,
        Err(TokenError::WrongType)
    );
    assert_eq!(keys.public_keys().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_algorithm_is_the_kids_not_the_headers() {
    let source = Arc::new(Keys::default());
    let pair = NewKeyPair::generate();
    source.add(&pair, 0, true);
    let keys = signed(&source).await;
    let claims = keys.mint(TokenKind::Access, &grant(true)).claims;
    // HS256 keyed with the public key, in every form an attacker might try, under its kid.
    let x = URL_SAFE_NO_PAD.encode(pair.public);
    for secret in [pair.public.as_slice(), x.as_bytes()] {
        let mut forged = Header::new(Algorithm::HS256);
        forged.kid = Some(pair.kid.clone());
        let token = jsonwebtoken::encode(&forged, &claims, &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(
            keys.verify(TokenKind::Access, &token).await,
            Err(TokenError::Invalid)
        );
    }
    // Signed by a key that is not ours, under an unknown kid or ours.
    let stranger = NewKeyPair::generate();
    let der = PrivateKey::from_seed("x".into(), &stranger.seed, 0)
        .unwrap()
        .pkcs8_der();
    for kid in [stranger.kid.clone(), pair.kid.clone()] {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();
        assert_eq!(
            keys.verify(TokenKind::Access, &token).await,
            Err(TokenError::Invalid)
        );
    }
    // No kid at all.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = None;
    let der = PrivateKey::from_seed("x".into(), &pair.seed, 0)
        .unwrap()
        .pkcs8_der();
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();
    assert_eq!(
        keys.verify(TokenKind::Access, &token).await,
        Err(TokenError::Invalid)
    );
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_keys_again_at_most_once_per_gap() {
    let source = Arc::new(Keys::default());
    let (first, rotated) = (NewKeyPair::generate(), NewKeyPair::generate());
    source.add(&first, 0, false);
    let verifier = signed(&source).await;
    let fetched = || *source.fetches.lock().unwrap();
    let before = fetched();
    // A key published after the verifier's last read: found by fetching again.
    let signer_keys = Arc::new(Keys::default());
    signer_keys.add(&rotated, 0, true);
    let signer = signed(&signer_keys).await;
    let token = signer.mint(TokenKind::Access, &grant(false)).token;
    source.add(&rotated, 0, false);
    assert!(verifier.verify(TokenKind::Access, &token).await.is_ok());
    assert_eq!(fetched(), before + 1);
    // Made-up kids within the gap fetch nothing more.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("made-up".into());
    let claims = signer.mint(TokenKind::Access, &grant(false)).claims;
    let der = PrivateKey::from_seed("x".into(), &rotated.seed, 0)
        .unwrap()
        .pkcs8_der();
    let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();
    for _ in 0..5 {
        assert_eq!(
            verifier.verify(TokenKind::Access, &forged).await,
            Err(TokenError::Invalid)
        );
    }
    assert_eq!(fetched(), before + 1);
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

#[tokio::test]
async fn round_trip_and_kind_checks() {
    let keys = keys();
    let access = keys.mint(TokenKind::Access, &grant(false));
    assert_eq!(
        keys.verify(TokenKind::Access, &access.token).await.unwrap().sub,
        "7"
    );
    assert_eq!(
        keys.verify(TokenKind::Refresh, &access.token).await,
        Err(TokenError::WrongType)
    );
    let refresh = keys.mint(TokenKind::Refresh, &grant(true));
    assert_eq!(
        keys.verify(TokenKind::Access, &refresh.token).await,
        Err(TokenError::WrongType)
    );
    assert_ne!(access.claims.jti, refresh.claims.jti);
}

#[tokio::test]
async fn only_access_tokens_vouch_for_admin_rights_and_only_when_asked() {
    let keys = keys();
    let verify = async |kind, admin| {
        let minted = keys.mint(kind, &grant(admin));
        keys.verify(kind, &minted.token).await.unwrap().adm
    };
    assert!(verify(TokenKind::Access, true).await);
    assert!(!verify(TokenKind::Access, false).await);
    assert!(!verify(TokenKind::Refresh, true).await);
    // Not an admin: the claim is left out, as in every token minted before it existed.
    let plain = keys.mint(TokenKind::Access, &grant(false));
    let claims = serde_json::to_value(&plain.claims).unwrap();
    assert!(claims.get("adm").is_none(), "{claims}");
}

#[tokio::test]
async fn oversized_and_garbage_tokens_are_invalid() {
    let keys = keys();
    assert_eq!(
        keys.verify(TokenKind::Access, "abc").await,
        Err(TokenError::Invalid)
    );
    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(
        keys.verify(TokenKind::Access, &huge).await,
        Err(TokenError::Invalid)
    );
}

#[test]
fn other_algorithms_are_refused_at_start() {
    for algorithm in ["RS256", "ES256", "none"] {
        assert!(TokenKeys::new(&settings(algorithm), Some(Arc::new(Keys::default()))).is_err());
    }
    // EdDSA needs somewhere to read its keys from.
    assert!(TokenKeys::new(&settings("EdDSA"), None).is_err());
}
