//! What the auth service is configured with: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours.
use astro_platform::config::{
    DatabaseSettings, HashingSettings, InitialAdmin, JanitorSettings, JwtSettings, ProcessSettings,
    RedisSettings, RetryPacing, Settings,
};

astro_platform::config_of! {
    /// The configuration of the auth service.
    pub struct AuthConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub jwt: JwtSettings,
        pub redis: RedisSettings,
        pub hashing: HashingSettings,
        pub initial_admin: Option<InitialAdmin>,
        pub outbox: RetryPacing,
        pub janitor: JanitorSettings,
    }
}

impl From<&Settings> for AuthConfig {
    /// The part of the one-process binary's settings the auth service reads.
    fn from(settings: &Settings) -> Self {
        Self {
            process: settings.process.clone(),
            database: settings.database.clone(),
            jwt: settings.jwt.clone(),
            redis: settings.redis.clone(),
            hashing: settings.hashing.clone(),
            initial_admin: settings.initial_admin.clone(),
            outbox: settings.mail.pacing.clone(),
            janitor: settings.janitor.clone(),
        }
    }
}
