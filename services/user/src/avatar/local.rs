//! Avatars as files in one directory, served by the gateway under [`PUBLIC_PATH`] (through
//! `GetAvatar`, so it works when the gateway runs on another machine).
use super::{AvatarBlob, AvatarStore, CONTENT_TYPE, StoredAvatar, is_valid_name};
use crate::error::UserError;
use async_trait::async_trait;
use std::{io::ErrorKind, path::PathBuf};

/// Where the gateway serves local avatars; the stored URL is `{BASE_URL}{PUBLIC_PATH}{name}`.
pub const PUBLIC_PATH: &str = "/media/avatars/";

/// Files under `dir`, named by the caller's random names.
#[derive(Clone, Debug)]
pub struct LocalStore {
    dir: PathBuf,
    /// `{BASE_URL}/media/avatars/`, so a stored URL works from any client.
    url_prefix: String,
}

impl LocalStore {
    /// The directory is created on the first upload, so a service that never stores an
    /// avatar leaves no trace on disk.
    pub fn new(dir: PathBuf, base_url: &str) -> Self {
        LocalStore {
            dir,
            url_prefix: format!("{}{PUBLIC_PATH}", base_url.trim_end_matches('/')),
        }
    }

    /// The file of a stored avatar; `None` for a name we could not have made (this is what
    /// keeps `../` and friends out of the filesystem).
    fn path(&self, name: &str) -> Option<PathBuf> {
        is_valid_name(name).then(|| self.dir.join(name))
    }
}

#[async_trait]
impl AvatarStore for LocalStore {
    async fn put(&self, name: &str, data: Vec<u8>, _content_type: &str) -> Result<StoredAvatar, UserError> {
        let path = self
            .path(name)
            .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidInput, "not an avatar name we generate"))?;
        tokio::fs::create_dir_all(&self.dir).await?;
        // Written aside and renamed into place, so a reader never sees half a file.
        let partial = self.dir.join(format!(".{name}.partial"));
        tokio::fs::write(&partial, data).await?;
        if let Err(err) = tokio::fs::rename(&partial, &path).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(err.into());
        }
        Ok(StoredAvatar {
            url: format!("{}{name}", self.url_prefix),
            key: name.to_owned(),
        })
    }

    async fn delete(&self, key: &str) -> Result<(), UserError> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        match tokio::fs::remove_file(path).await {
            Err(err) if err.kind() != ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }

    async fn get(&self, name: &str) -> Result<AvatarBlob, UserError> {
        let path = self.path(name).ok_or(UserError::AvatarNotFound)?;
        match tokio::fs::read(path).await {
            Ok(data) => Ok(AvatarBlob {
                data,
                content_type: CONTENT_TYPE,
            }),
            Err(err) if err.kind() == ErrorKind::NotFound => Err(UserError::AvatarNotFound),
            Err(err) => Err(err.into()),
        }
    }
}
