//! What the gateway is configured with: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours.
use astro_platform::config::{HttpSettings, JwtSettings, ProcessSettings, RedisSettings, Settings};

astro_platform::config_of! {
    /// The configuration of the gateway.
    pub struct GatewayConfig {
        pub process: ProcessSettings,
        pub jwt: JwtSettings,
        pub redis: RedisSettings,
        pub http: HttpSettings,
    }
}

impl From<&Settings> for GatewayConfig {
    /// The part of the one-process binary's settings the gateway reads.
    fn from(settings: &Settings) -> Self {
        Self {
            process: settings.process.clone(),
            jwt: settings.jwt.clone(),
            redis: settings.redis.clone(),
            http: settings.http.clone(),
        }
    }
}
