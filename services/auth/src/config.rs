//! The configuration of the auth service: only the settings groups it reads, so its `--help`
//! lists exactly the variables it honours. Each field is the same-named group of `Settings`.
use astro_platform::config::{
    DatabaseSettings, EncryptionSettings, HashingSettings, InitialAdmin, JanitorSettings, JwtSettings,
    ProcessSettings, RedisSettings, RetryPacing,
};

astro_platform::config_of! {
    part of Settings:
    /// The configuration of the auth service.
    pub struct AuthConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub jwt: JwtSettings,
        pub encryption: EncryptionSettings,
        pub redis: RedisSettings,
        pub hashing: HashingSettings,
        pub initial_admin: Option<InitialAdmin>,
        pub pacing: RetryPacing,
        pub janitor: JanitorSettings,
    }
}
