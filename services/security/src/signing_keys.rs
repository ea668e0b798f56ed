//! Ed25519 keys for access tokens (`JWT_ALGORITHM=EdDSA`): what a key is, its public JWK, and
//! where a process gets the keys from. The auth service keeps them in its database (private
//! parts sealed) and is the only one holding private keys; every other process fetches the
//! public ones from it ([`crate::remote_keys`]), so a token can be checked without a shared
//! secret, by anyone.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The one algorithm a `kid` of ours is accepted with (pinned: the token header is not asked).
pub const ALGORITHM: &str = "EdDSA";

/// The PKCS#8 v1 DER prefix of an Ed25519 private key (RFC 8410): what `jsonwebtoken` reads,
/// followed by the 32-byte seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A key as verifiers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    /// The raw Ed25519 public key.
    pub key: [u8; 32],
    /// When it starts (or started) signing, seconds since the epoch.
    pub not_before: i64,
    /// When it stops being listed, its last token expired; `None` while no later key replaced it.
    pub not_after: Option<i64>,
}

/// One key of a JSON Web Key Set (RFC 8037): never the private `d`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub kid: String,
    pub x: String,
}

impl PublicKey {
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP",
            crv: "Ed25519",
            alg: ALGORITHM,
            use_: "sig",
            kid: self.kid.clone(),
            x: URL_SAFE_NO_PAD.encode(self.key),
        }
    }
}

/// A private key, as only the auth service holds it.
#[derive(Clone)]
pub struct PrivateKey {
    pub kid: String,
    seed: [u8; 32],
    pub not_before: i64,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, ..)", self.kid)
    }
}

impl PrivateKey {
    /// A private key from its 32-byte seed; `None` for another length.
    pub fn from_seed(kid: String, seed: &[u8], not_before: i64) -> Option<PrivateKey> {
        Some(PrivateKey {
            kid,
            seed: seed.try_into().ok()?,
            not_before,
        })
    }

    /// The key in the PKCS#8 DER form `jsonwebtoken` signs with.
    pub(crate) fn pkcs8_der(&self) -> Vec<u8> {
        [PKCS8_PREFIX.as_slice(), &self.seed].concat()
    }
}

/// A freshly generated key pair.
pub struct NewKeyPair {
    pub kid: String,
    /// The secret: seal it before it is stored.
    pub seed: [u8; 32],
    pub public: [u8; 32],
}

impl NewKeyPair {
    pub fn generate() -> NewKeyPair {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        NewKeyPair {
            kid: thumbprint(&public),
            seed,
            public,
        }
    }
}

/// The RFC 7638 JWK thumbprint of an Ed25519 public key: a `kid` that names the key itself.
pub fn thumbprint(public: &[u8; 32]) -> String {
    // The required members in lexicographic order, no whitespace (RFC 7638 §3.2).
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The keys a process holds: public ones to verify with; private ones only in the auth
/// service, in the order they were created.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    pub public: Vec<PublicKey>,
    pub private: Vec<PrivateKey>,
}

#[derive(Debug, thiserror::Error)]
#[error("signing keys unavailable: {0}")]
pub struct KeySourceError(pub String);

/// Where a process's [`crate::key_ring::KeyRing`] reads the keys from.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    /// The keys published now.
    async fn fetch(&self) -> Result<KeySet, KeySourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 appendix A: its key pair, JWK and thumbprint.
    #[test]
    fn the_rfc_8037_example_key() {
        let seed = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let public = SigningKey::from_bytes(&seed.clone().try_into().unwrap())
            .verifying_key()
            .to_bytes();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(public),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(thumbprint(&public), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let der = PrivateKey::from_seed("k".into(), &seed, 0).unwrap().pkcs8_der();
        assert_eq!(der.len(), 48);
    }

    #[test]
    fn a_jwk_never_carries_a_private_part() {
        let pair = NewKeyPair::generate();
        let key = PublicKey {
            kid: pair.kid.clone(),
            key: pair.public,
            not_before: 0,
            not_after: None,
        };
        let jwk = serde_json::to_value(key.jwk()).unwrap();
        let mut names: Vec<&str> = jwk.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"]);
        assert_eq!(jwk["kid"], pair.kid);
    }
}
