//! The configuration of the gateway: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours. Each field is the same-named group of `Settings`.
use astro_platform::config::{HttpSettings, JwtSettings, ProcessSettings, RedisSettings};

astro_platform::config_of! {
    part of Settings:
    /// The configuration of the gateway.
    pub struct GatewayConfig {
        pub process: ProcessSettings,
        pub jwt: JwtSettings,
        pub redis: RedisSettings,
        pub http: HttpSettings,
    }
}
