//! What the user service is configured with: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours.
use astro_platform::config::{AvatarSettings, DatabaseSettings, ProcessSettings, Settings};

astro_platform::config_of! {
    /// The configuration of the user service.
    pub struct UserConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub avatars: AvatarSettings,
    }
}

impl From<&Settings> for UserConfig {
    /// The part of the one-process binary's settings the user service reads.
    fn from(settings: &Settings) -> Self {
        Self {
            process: settings.process.clone(),
            database: settings.database.clone(),
            avatars: settings.avatars.clone(),
        }
    }
}
