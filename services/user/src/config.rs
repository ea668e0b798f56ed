//! The configuration of the user service: only the settings groups it reads, so its `--help`
//! lists exactly the variables it honours. Each field is the same-named group of `Settings`.
use astro_platform::config::{AvatarSettings, DatabaseSettings, ProcessSettings};

astro_platform::config_of! {
    part of Settings:
    /// The configuration of the user service.
    pub struct UserConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub avatars: AvatarSettings,
    }
}
