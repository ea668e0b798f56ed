//! `DATA_ENCRYPTION_KEY`: the key data is sealed with at rest (`astro_security::sealing`).
use super::{super::PRODUCTION, secret, var};
use crate::config::{
    ConfigError, EncryptionSettings, Group, Variable,
    read::{Lookup, invalid},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::ExposeSecret;

const KEY_BYTES: usize = 32;

impl Group for EncryptionSettings {
    const VARIABLES: &'static [Variable] = &[
        secret(
            "DATA_ENCRYPTION_KEY",
            "base64 of 32 random bytes sealing secrets at rest (required in production; \
             development derives one from JWT_SECRET)",
        ),
        // Read here too: production requires the key.
        var(
            "ENVIRONMENT",
            "`production` enforces strong secrets and mutual TLS [default: development]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let settings = EncryptionSettings {
            data_key: get("DATA_ENCRYPTION_KEY").map(Into::into),
        };
        settings.check(&get("ENVIRONMENT").unwrap_or_default())?;
        Ok(settings)
    }
}

impl EncryptionSettings {
    /// A set key must be the base64 of 32 bytes; production must set one.
    pub fn check(&self, environment: &str) -> Result<(), ConfigError> {
        match &self.data_key {
            Some(key) => {
                let decoded = STANDARD.decode(key.expose_secret().trim());
                match decoded {
                    Ok(bytes) if bytes.len() == KEY_BYTES => Ok(()),
                    Ok(bytes) => Err(invalid(
                        "DATA_ENCRYPTION_KEY",
                        format!("must be {KEY_BYTES} bytes, got {}", bytes.len()),
                    )),
                    Err(_) => Err(invalid("DATA_ENCRYPTION_KEY", "is not standard base64")),
                }
            }
            None if environment == PRODUCTION => Err(ConfigError::Insecure(format!(
                "DATA_ENCRYPTION_KEY must be set (base64 of {KEY_BYTES} random bytes, e.g. \
                 `openssl rand -base64 32`)"
            ))),
            None => Ok(()),
        }
    }
}
