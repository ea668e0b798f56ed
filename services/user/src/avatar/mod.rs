//! Avatars: uploads are decoded and re-encoded here (never trusted as sent), stored behind
//! [`AvatarStore`] (a local directory, or Cloudinary when configured), and the previous upload
//! is deleted once the new one is in place.
//!
//! Which stored object belongs to a user is recorded in `users.avatar_key`, never derived from
//! `avatar_url`: a user can set that URL to anything (`PUT /profile`), including someone
//! else's avatar, which we must then not delete.
mod cloudinary;
mod local;
mod transform;

pub use cloudinary::CloudinaryStore;
pub use local::{LocalStore, PUBLIC_PATH};
pub use transform::{CONTENT_TYPE, SIZE};

use crate::{
    error::UserError,
    repo::{UserRecord, UserRepo},
};
use astro_domain::input::AVATAR_MAX_BYTES;
use astro_platform::config::AvatarSettings;
use async_trait::async_trait;
use std::sync::Arc;
use transform::{EXTENSION, Transformer};

/// How often a replacement is retried when another one for the same user got in first.
const SWAP_ATTEMPTS: usize = 8;

/// Where an avatar was stored: its public URL and the key that deletes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAvatar {
    pub url: String,
    pub key: String,
}

/// A stored avatar's bytes, for serving.
#[derive(Clone, Debug)]
pub struct AvatarBlob {
    pub data: Vec<u8>,
    pub content_type: &'static str,
}

/// Somewhere to keep avatar images.
#[async_trait]
pub trait AvatarStore: Send + Sync {
    /// Stores `data` under `name` (a fresh random name, see [`is_valid_name`]).
    async fn put(&self, name: &str, data: Vec<u8>, content_type: &str) -> Result<StoredAvatar, UserError>;
    /// Deletes what `put` stored under `key`; deleting what is not there succeeds.
    async fn delete(&self, key: &str) -> Result<(), UserError>;
    /// Reads an avatar back by the name in its URL; only stores whose URLs point at the
    /// gateway serve them.
    async fn get(&self, _name: &str) -> Result<AvatarBlob, UserError> {
        Err(UserError::AvatarNotFound)
    }
}

/// The store the settings ask for: Cloudinary when its credentials are set, else local files.
pub fn store_for(settings: &AvatarSettings) -> Result<Arc<dyn AvatarStore>, UserError> {
    Ok(match &settings.cloudinary {
        Some(cloudinary) => Arc::new(CloudinaryStore::new(cloudinary)?),
        None => Arc::new(LocalStore::new(settings.dir.clone(), &settings.base_url)),
    })
}

/// Whether `name` is one [`new_name`] could have made: 128 random bits in lower-case hex
/// and our extension. Nothing else reaches a filesystem path or a storage key.
pub fn is_valid_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(stem, extension)| {
        stem.len() == 32
            && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && extension == EXTENSION
    })
}

/// An unguessable name: knowing one avatar's URL tells nothing about another's.
fn new_name() -> String {
    format!("{:032x}.{EXTENSION}", rand::random::<u128>())
}

/// The avatar use cases, over the users repository and a store.
#[derive(Clone)]
pub struct Avatars {
    store: Arc<dyn AvatarStore>,
    transformer: Transformer,
}

impl Avatars {
    /// Avatars kept in `store`, processed at most one per core at a time.
    pub fn new(store: Arc<dyn AvatarStore>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Avatars {
            store,
            transformer: Transformer::new(cores),
        }
    }

    /// Makes `upload` the user's avatar and deletes the one it replaces.
    pub async fn upload(
        &self,
        repo: &dyn UserRepo,
        id: i64,
        upload: Vec<u8>,
    ) -> Result<UserRecord, UserError> {
        if upload.len() > AVATAR_MAX_BYTES {
            return Err(UserError::ImageTooLarge);
        }
        // An unknown user costs no decoding and leaves nothing in storage.
        repo.get(id).await?;
        let png = self.transformer.avatar(upload).await?;
        let stored = self.store.put(&new_name(), png, CONTENT_TYPE).await?;
        let swapped = self.swap(repo, id, Some(&stored.key), Some(&stored.url)).await;
        if swapped.is_err() {
            self.discard(&stored.key).await;
        }
        swapped
    }

    /// Sets (or clears) an avatar URL chosen by the user; an uploaded avatar it replaces is
    /// deleted from storage.
    pub async fn set_url(
        &self,
        repo: &dyn UserRepo,
        id: i64,
        url: Option<&str>,
    ) -> Result<UserRecord, UserError> {
        self.swap(repo, id, None, url).await
    }

    /// Deletes the stored avatar of a user who has just been deleted.
    pub async fn forget(&self, user: &UserRecord) {
        if let Some(key) = &user.avatar_key {
            self.discard(key).await;
        }
    }

    /// A locally stored avatar, by the name in its URL.
    pub async fn get(&self, name: &str) -> Result<AvatarBlob, UserError> {
        if !is_valid_name(name) {
            return Err(UserError::AvatarNotFound);
        }
        self.store.get(name).await
    }

    /// Replaces the user's avatar key and URL if nobody changed the key meanwhile (compare
    /// and swap, so two racing uploads never both believe they replaced the same old file),
    /// then deletes the replaced object.
    async fn swap(
        &self,
        repo: &dyn UserRepo,
        id: i64,
        key: Option<&str>,
        url: Option<&str>,
    ) -> Result<UserRecord, UserError> {
        for _ in 0..SWAP_ATTEMPTS {
            let current = repo.get(id).await?;
            let old = current.avatar_key.as_deref();
            // A client re-sending the URL it was given (a whole-profile form) keeps the
            // upload behind it rather than deleting the file its own URL points at.
            let key = match key {
                None if current.avatar_url.as_deref() == url => old,
                key => key,
            };
            if let Some(user) = repo.swap_avatar(id, old, key, url).await? {
                if let Some(old) = old.filter(|old| Some(*old) != key) {
                    self.discard(old).await;
                }
                return Ok(user);
            }
        }
        Err(UserError::Contended)
    }

    /// Deletes a stored object whose loss must not fail the request: the user's record is
    /// already right, so a failure leaves an orphan to log, not an error to return.
    async fn discard(&self, key: &str) {
        if let Err(err) = self.store.delete(key).await {
            tracing::error!(%key, error = %err, "could not delete a stored avatar; it is orphaned");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_are_valid() {
        let name = new_name();
        assert!(is_valid_name(&name), "{name}");
        assert_ne!(name, new_name());
        for bad in [
            "",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef.png/..",
            "0123456789ABCDEF0123456789abcdef.png",
            "0123456789abcdef0123456789abcde.png",
            ".0123456789abcdef0123456789abcdef.png.partial",
            "0123456789abcdef0123456789abcdef.svg",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
