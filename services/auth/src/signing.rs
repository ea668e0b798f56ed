//! The access-token signing keys of `JWT_ALGORITHM=EdDSA`, kept in this service's database:
//! created (the first at start, the next by `astro-auth keys rotate`), sealed, scheduled and
//! retired. Each key's life is fixed by times stored with it, so no process has to be running
//! for a key to move on:
//! - published from its creation (listed by `ListSigningKeys` and the gateway's JWKS);
//! - signing from its `not_before` (a rotation sets it `JWT_KEY_PUBLISH_AHEAD_SECONDS` ahead,
//!   the JWKS cache time, so every cache knows a key before the first token it signs);
//! - replaced when a later generation's time comes, and listed until the last token it signed
//!   has expired (access-token lifetime and clock skew later);
//! - then removed by the next rotation.
use crate::{
    AuthError,
    repo::signing_keys::{SigningKeyRepo, StoredKey},
};
use astro_platform::config::JwtSettings;
use astro_security::{
    sealing::{DataKey, SealError},
    signing_keys::{ALGORITHM, KeySet, KeySource, KeySourceError, NewKeyPair, PrivateKey, PublicKey},
    tokens::key_overlap_secs,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use std::sync::Arc;

/// How many times a rotation tries again after losing the race for its generation.
const ROTATION_ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct SigningKeys {
    repo: Arc<dyn SigningKeyRepo>,
    data_key: DataKey,
    /// Seconds a key stays listed after it stopped signing.
    overlap: i64,
    /// Seconds a rotated key is published before it signs.
    publish_ahead: i64,
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotation {
    pub kid: String,
    /// When it starts signing, seconds since the epoch.
    pub not_before: i64,
    /// The keys removed: no live token carries them any more.
    pub retired: Vec<String>,
}

impl SigningKeys {
    /// The keys in `db`, sealed with the configured `DATA_ENCRYPTION_KEY`.
    pub fn for_db(db: &astro_store::Db, config: &crate::AuthConfig) -> Result<SigningKeys, SealError> {
        let data_key = DataKey::from_settings(&config.encryption, &config.jwt)?;
        Ok(SigningKeys::new(
            crate::repo::signing_keys_for_db(db),
            data_key,
            &config.jwt,
        ))
    }

    pub fn new(repo: Arc<dyn SigningKeyRepo>, data_key: DataKey, jwt: &JwtSettings) -> SigningKeys {
        SigningKeys {
            repo,
            data_key,
            overlap: key_overlap_secs(jwt),
            publish_ahead: jwt.key_publish_ahead.as_secs() as i64,
        }
    }

    /// Creates the first key, signing at once, unless there is one. Replicas starting at once
    /// all try generation 1 and exactly one insert wins.
    pub async fn ensure_first(&self, now: i64) -> Result<(), AuthError> {
        if self.repo.signing_keys().await?.is_empty() {
            self.repo.insert_signing_key(&self.generate(1, now, now)).await?;
        }
        Ok(())
    }

    /// Publishes a next key, signing `JWT_KEY_PUBLISH_AHEAD_SECONDS` after `now`, and removes
    /// the keys whose tokens have all expired by `now`.
    pub async fn rotate(&self, now: i64) -> Result<Rotation, AuthError> {
        for _ in 0..ROTATION_ATTEMPTS {
            let mut keys = self.repo.signing_keys().await?;
            // The first key has no predecessor to hand over from: it signs at once.
            let (generation, not_before) = match keys.last() {
                Some(last) => (last.generation + 1, now + self.publish_ahead),
                None => (1, now),
            };
            let key = self.generate(generation, now, not_before);
            if !self.repo.insert_signing_key(&key).await? {
                continue;
            }
            keys.push(key.clone());
            let retired: Vec<String> = keys
                .iter()
                .zip(not_after(&keys, self.overlap))
                .filter(|(_, end)| end.is_some_and(|end| end <= now))
                .map(|(key, _)| key.kid.clone())
                .collect();
            self.repo.delete_signing_keys(&retired).await?;
            return Ok(Rotation {
                kid: key.kid,
                not_before: key.not_before,
                retired,
            });
        }
        Err(AuthError::Internal(
            "another rotation ran at the same time; run it again".into(),
        ))
    }

    /// The keys listed at `now`, oldest first.
    pub async fn published(&self, now: i64) -> Result<Vec<PublicKey>, AuthError> {
        Ok(self.listed(&self.repo.signing_keys().await?, now))
    }

    fn listed(&self, keys: &[StoredKey], now: i64) -> Vec<PublicKey> {
        keys.iter()
            .zip(not_after(keys, self.overlap))
            .filter(|(_, end)| end.is_none_or(|end| now < end))
            .filter_map(|(key, not_after)| {
                let public = URL_SAFE_NO_PAD.decode(&key.public_key).ok()?;
                Some(PublicKey {
                    kid: key.kid.clone(),
                    key: public.try_into().ok()?,
                    not_before: key.not_before,
                    not_after,
                })
            })
            .collect()
    }

    fn generate(&self, generation: i64, now: i64, not_before: i64) -> StoredKey {
        let pair = NewKeyPair::generate();
        StoredKey {
            sealed_private_key: self.data_key.seal(&pair.seed, &aad(&pair.kid)),
            kid: pair.kid,
            generation,
            algorithm: ALGORITHM.into(),
            public_key: URL_SAFE_NO_PAD.encode(pair.public),
            created_at: now,
            not_before,
        }
    }
}

/// Binds a sealed private key to its `kid`: copied to another row, it does not open.
fn aad(kid: &str) -> Vec<u8> {
    format!("signing_key:{kid}").into_bytes()
}

/// When each key (by generation) stops being listed: `overlap` after the first later
/// generation's signing began; `None` for a key nothing has replaced.
fn not_after(keys: &[StoredKey], overlap: i64) -> Vec<Option<i64>> {
    let mut ends = vec![None; keys.len()];
    let mut replaced_at: Option<i64> = None;
    for (index, key) in keys.iter().enumerate().rev() {
        ends[index] = replaced_at.map(|at| at.max(key.not_before) + overlap);
        replaced_at = Some(replaced_at.map_or(key.not_before, |at| at.min(key.not_before)));
    }
    ends
}

/// The auth service's own key ring reads here: the listed keys and, of those, the private
/// parts (opened).
#[async_trait::async_trait]
impl KeySource for SigningKeys {
    async fn fetch(&self) -> Result<KeySet, KeySourceError> {
        let failed = |err: &dyn std::fmt::Display| KeySourceError(err.to_string());
        let keys = self.repo.signing_keys().await.map_err(|e| failed(&e))?;
        let public = self.listed(&keys, astro_platform::time::now_secs());
        let mut private = Vec::new();
        for key in keys.iter().filter(|key| public.iter().any(|p| p.kid == key.kid)) {
            let seed = self
                .data_key
                .open(&key.sealed_private_key, &aad(&key.kid))
                .map_err(|e| {
                    failed(&format!(
                        "{}: {e} (is DATA_ENCRYPTION_KEY the one it was sealed with?)",
                        key.kid
                    ))
                })?;
            let opened = PrivateKey::from_seed(key.kid.clone(), &seed, key.not_before)
                .ok_or_else(|| failed(&format!("{}: not an Ed25519 seed", key.kid)))?;
            private.push(opened);
        }
        Ok(KeySet { public, private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(generation: i64, not_before: i64) -> StoredKey {
        StoredKey {
            kid: format!("k{generation}"),
            generation,
            algorithm: ALGORITHM.into(),
            public_key: String::new(),
            sealed_private_key: String::new(),
            created_at: 0,
            not_before,
        }
    }

    #[test]
    fn a_key_is_listed_until_the_tokens_it_signed_have_expired() {
        // k1 from 0; k2 published at 100, signing from 400; k3 rotated in later, from 1000.
        let keys = [key(1, 0), key(2, 400), key(3, 1000)];
        assert_eq!(not_after(&keys, 905), [Some(1305), Some(1905), None]);
        assert_eq!(not_after(&keys[..1], 905), [None]);
    }

    #[test]
    fn a_next_key_overtaken_before_it_signed_is_retired_with_its_predecessor() {
        // k3 was rotated in with no publish delay while k2 still waited for its time: k2 never
        // signs, and stops being listed as k1 does.
        let keys = [key(1, 0), key(2, 400), key(3, 50)];
        assert_eq!(not_after(&keys, 905), [Some(955), Some(1305), None]);
    }
}
