//! The configuration of the admin service: only the settings groups it reads, so its `--help`
//! lists exactly the variables it honours. Each field is the same-named group of `Settings`.
use astro_platform::config::{
    DatabaseSettings, JanitorSettings, JwtSettings, ProcessSettings, RedisSettings,
};

astro_platform::config_of! {
    part of Settings:
    /// The configuration of the admin service.
    pub struct AdminConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub jwt: JwtSettings,
        pub redis: RedisSettings,
        pub janitor: JanitorSettings,
    }
}
