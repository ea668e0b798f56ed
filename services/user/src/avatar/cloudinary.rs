//! Avatars on Cloudinary, through its signed upload and destroy API
//! (<https://cloudinary.com/documentation/authentication_signatures>).
use super::{AvatarStore, StoredAvatar};
use crate::error::UserError;
use astro_platform::config::CloudinarySettings;
use async_trait::async_trait;
use reqwest::multipart::{Form, Part};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cloudinary "folder" (a public_id prefix) that holds our avatars.
const FOLDER: &str = "avatars";
const TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One long-lived HTTP client (its connection pool is reused by every upload).
pub struct CloudinaryStore {
    client: reqwest::Client,
    /// `{base}/v1_1/{cloud}/image`.
    endpoint: String,
    api_key: String,
    api_secret: SecretString,
}

/// The part of an upload answer we use.
#[derive(Deserialize)]
struct Uploaded {
    public_id: String,
    secure_url: String,
}

/// Cloudinary's error body: `{"error": {"message": "..."}}`.
#[derive(Deserialize)]
struct Refusal {
    error: RefusalMessage,
}

#[derive(Deserialize)]
struct RefusalMessage {
    message: String,
}

impl CloudinaryStore {
    /// A store for the configured cloud; nothing is contacted until the first upload.
    pub fn new(settings: &CloudinarySettings) -> Result<Self, UserError> {
        // reqwest is built without a default TLS provider; installing one twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(CloudinaryStore {
            client,
            endpoint: format!("{}/v1_1/{}/image", settings.api_base_url, settings.cloud_name),
            api_key: settings.api_key.clone(),
            api_secret: settings.api_secret.clone(),
        })
    }

    /// `params` as a signed multipart form: the signed parameters, `api_key` and `signature`.
    fn signed_form(&self, params: &[(&str, String)]) -> Form {
        let signature = sign(params, self.api_secret.expose_secret());
        params
            .iter()
            .fold(Form::new(), |form, (name, value)| {
                form.text(name.to_string(), value.clone())
            })
            .text("api_key", self.api_key.clone())
            .text("signature", signature)
    }

    /// POSTs `form` to `{endpoint}/{action}` and parses a successful answer.
    async fn call<T: for<'de> Deserialize<'de>>(&self, action: &str, form: Form) -> Result<T, UserError> {
        let response = self
            .client
            .post(format!("{}/{action}", self.endpoint))
            .multipart(form)
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            let message = serde_json::from_slice::<Refusal>(&body).map_or_else(
                |_| String::from_utf8_lossy(&body).into_owned(),
                |r| r.error.message,
            );
            return Err(UserError::Cloudinary(format!("{action}: {status}: {message}")));
        }
        serde_json::from_slice(&body)
            .map_err(|e| UserError::Cloudinary(format!("{action}: unexpected answer: {e}")))
    }
}

#[async_trait]
impl AvatarStore for CloudinaryStore {
    async fn put(&self, name: &str, data: Vec<u8>, content_type: &str) -> Result<StoredAvatar, UserError> {
        let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
        let params = [
            ("public_id", format!("{FOLDER}/{stem}")),
            ("timestamp", timestamp()),
        ];
        let file = Part::bytes(data)
            .file_name(name.to_owned())
            .mime_str(content_type)?;
        let uploaded: Uploaded = self
            .call("upload", self.signed_form(&params).part("file", file))
            .await?;
        // Cloudinary's own public_id is what destroy needs, whatever it made of ours.
        Ok(StoredAvatar {
            url: uploaded.secure_url,
            key: uploaded.public_id,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), UserError> {
        let params = [
            ("invalidate", "true".to_owned()),
            ("public_id", key.to_owned()),
            ("timestamp", timestamp()),
        ];
        // "not found" is a success answer too: already gone is what we want.
        let _: serde_json::Value = self.call("destroy", self.signed_form(&params)).await?;
        Ok(())
    }
}

fn timestamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    now.as_secs().to_string()
}

/// Cloudinary's signature: the parameters sorted by name, joined as `k=v&k2=v2`, the API
/// secret appended directly, SHA-1 in lower-case hex. `file`, `api_key`, `resource_type` and
/// `cloud_name` are never signed, so callers do not pass them.
pub fn sign(params: &[(&str, String)], api_secret: &str) -> String {
    let mut sorted: Vec<_> = params.iter().collect();
    sorted.sort_by_key(|(name, _)| *name);
    let joined = sorted
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    hex::encode(Sha1::digest(format!("{joined}{api_secret}")))
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn signature_matches_cloudinary_documentation() {
        // The worked example of Cloudinary's "Generating authentication signatures" page.
        let params = [
            ("timestamp", "1315060510".to_owned()),
            ("public_id", "sample_image".to_owned()),
            ("eager", "w_400,h_300,c_pad|w_260,h_200,c_crop".to_owned()),
        ];
        assert_eq!(sign(&params, "abcd"), "bfd09f95f331f558cbd1320e67aa8d488770583e");
    }
}
