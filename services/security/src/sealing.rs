//! Data encrypted at rest (TOTP secrets, signing keys): XChaCha20-Poly1305 under one 32-byte
//! key (`DATA_ENCRYPTION_KEY`). A sealed value is text, `v1.<base64 of nonce ‖ ciphertext>`, so
//! it fits any text column and a later key or algorithm can be told apart by its prefix. The
//! caller's `aad` (e.g. the row's purpose and id) binds a sealed value to where it belongs:
//! copied into another row, it no longer opens.
use astro_platform::config::{EncryptionSettings, JwtSettings};
use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

const VERSION: &str = "v1.";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("DATA_ENCRYPTION_KEY must be the base64 of exactly {KEY_BYTES} bytes")]
    BadKey,
    /// Not sealed by this format, tampered with, sealed under another key or for another aad:
    /// deliberately one answer.
    #[error("sealed data cannot be opened")]
    Unopenable,
}

/// The key data is sealed with. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct DataKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// The key from its configured form, the base64 (standard alphabet) of 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<DataKey, SealError> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| SealError::BadKey)?;
        let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(DataKey::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; KEY_BYTES]) -> DataKey {
        DataKey {
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        }
    }

    /// The configured key; without one (development only: production refuses to start without
    /// it, see [`EncryptionSettings`]), a key derived from `JWT_SECRET`, so that what was
    /// sealed stays readable after a restart. A random per-process key would not.
    pub fn from_settings(encryption: &EncryptionSettings, jwt: &JwtSettings) -> Result<DataKey, SealError> {
        match &encryption.data_key {
            Some(key) => DataKey::from_base64(key.expose_secret()),
            None => {
                tracing::warn!(
                    "DATA_ENCRYPTION_KEY is not set: sealing data with a development key derived \
                     from JWT_SECRET (production refuses to start without it)"
                );
                Ok(DataKey::development(jwt.secret.expose_secret()))
            }
        }
    }

    /// The development-only key: SHA-256 of a fixed label and the JWT secret.
    fn development(jwt_secret: &str) -> DataKey {
        let mut hasher = Sha256::new();
        hasher.update(b"astro-auth development data key\0");
        hasher.update(jwt_secret.as_bytes());
        DataKey::from_bytes(hasher.finalize().into())
    }

    /// Encrypts `plaintext` under a fresh random nonce, authenticated together with `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let nonce = XNonce::from(nonce);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad })
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}{}", STANDARD.encode(sealed))
    }

    /// Decrypts what [`DataKey::seal`] made with the same key and `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(SealError::Unopenable)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SealError::Unopenable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(SealError::Unopenable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Unopenable)?;
        self.cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad })
            .map_err(|_| SealError::Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_base64(&STANDARD.encode([byte; KEY_BYTES])).unwrap()
    }

    #[test]
    fn round_trip_with_fresh_nonces() {
        let k = key(1);
        let a = k.seal(b"JBSWY3DPEHPK3PXP", b"totp:7");
        let b = k.seal(b"JBSWY3DPEHPK3PXP", b"totp:7");
        assert!(a.starts_with("v1."));
        assert_ne!(a, b, "each seal has its own nonce");
        assert_eq!(k.open(&a, b"totp:7").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(k.open(&k.seal(b"", b""), b"").unwrap(), b"");
    }

    #[test]
    fn wrong_aad_key_or_tampering_do_not_open() {
        let k = key(1);
        let sealed = k.seal(b"secret", b"totp:7");
        assert_eq!(k.open(&sealed, b"totp:8"), Err(SealError::Unopenable));
        assert_eq!(key(2).open(&sealed, b"totp:7"), Err(SealError::Unopenable));
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1.{}", STANDARD.encode(bytes));
        assert_eq!(k.open(&tampered, b"totp:7"), Err(SealError::Unopenable));
        for garbage in ["", "v1.", "v1.!!", "v2.AAAA", &sealed[3..], "v1.AAAA"] {
            assert_eq!(k.open(garbage, b"totp:7"), Err(SealError::Unopenable));
        }
    }

    #[test]
    fn keys_must_be_base64_of_32_bytes() {
        assert_eq!(
            DataKey::from_base64(&STANDARD.encode([0u8; 31])).unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(
            DataKey::from_base64("not base64!").unwrap_err(),
            SealError::BadKey
        );
        assert!(DataKey::from_base64(&STANDARD.encode([0u8; 32])).is_ok());
    }

    #[test]
    fn the_development_key_is_stable_and_follows_the_jwt_secret() {
        let sealed = DataKey::development("s1").seal(b"x", b"");
        assert_eq!(DataKey::development("s1").open(&sealed, b"").unwrap(), b"x");
        assert!(DataKey::development("s2").open(&sealed, b"").is_err());
    }
}
