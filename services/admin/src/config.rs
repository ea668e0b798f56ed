//! What the admin service is configured with: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours.
use astro_platform::config::{
    DatabaseSettings, JanitorSettings, JwtSettings, ProcessSettings, RedisSettings, Settings,
};

astro_platform::config_of! {
    /// The configuration of the admin service.
    pub struct AdminConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub jwt: JwtSettings,
        pub redis: RedisSettings,
        pub janitor: JanitorSettings,
    }
}

impl From<&Settings> for AdminConfig {
    /// The part of the one-process binary's settings the admin service reads.
    fn from(settings: &Settings) -> Self {
        Self {
            process: settings.process.clone(),
            database: settings.database.clone(),
            jwt: settings.jwt.clone(),
            redis: settings.redis.clone(),
            janitor: settings.janitor.clone(),
        }
    }
}
