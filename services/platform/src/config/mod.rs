//! Configuration as plain data, parsed once where a process starts. Each binary's config is a
//! struct of settings groups ([`config_of!`](crate::config_of)); each group declares the
//! variables it reads, so a binary's flags and `--help` list exactly what it honours. Names are
//! the original's `.env` names; each is also a flag (`JWT_SECRET` or `--jwt-secret`). Tests build
//! configs as struct literals or with [`Config::from_lookup`].
pub mod cli;
mod groups;
mod model;
mod read;

pub use groups::DEFAULT_JWT_SECRET;
pub use model::*;
pub use read::Lookup;

use groups::DEFAULT_JWT_REFRESH_SECRET;
use secrecy::ExposeSecret;

const MIN_PRODUCTION_SECRET_BYTES: usize = 32;
/// The `ENVIRONMENT` whose rules are strict.
pub const PRODUCTION: &str = "production";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("refusing to start in production: {0}")]
    Insecure(String),
}

/// One variable a settings group reads.
#[derive(Clone, Copy, Debug)]
pub struct Variable {
    pub name: &'static str,
    pub help: &'static str,
    /// Its value is never printed (`--help` shows no value taken from the environment).
    pub secret: bool,
}

/// A settings group: the variables it reads and how.
pub trait Group: Sized {
    const VARIABLES: &'static [Variable];
    fn read(get: &Lookup) -> Result<Self, ConfigError>;
}

/// A binary's whole configuration: its groups, read together.
pub trait Config: Sized {
    /// The variables of every group, in order (a name may appear in more than one).
    const GROUPS: &'static [&'static [Variable]];

    fn read(get: &Lookup) -> Result<Self, ConfigError>;

    /// Reads from any name → value lookup; unset or blank names take their defaults.
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&|name: &str| get(name).filter(|v| !v.trim().is_empty()))
    }

    /// Reads the command line and the environment of binary `name` (call
    /// `dotenvy::dotenv()` first to honour `.env`); `--help` and `--version` print and exit.
    fn from_env_and_args(name: &'static str, about: &'static str) -> Result<Self, ConfigError> {
        let matches = cli::command(name, about, Self::GROUPS).get_matches();
        Self::from_lookup(cli::lookup(&matches))
    }
}

/// Declares a config struct made of settings groups, each field one [`Group`]; the struct
/// implements [`Config`] by reading every group, so its variables and its fields cannot drift.
#[macro_export]
macro_rules! config_of {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $group:ty,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis struct $name {
            $($(#[$field_meta])* pub $field: $group,)*
        }

        impl $crate::config::Config for $name {
            const GROUPS: &'static [&'static [$crate::config::Variable]] =
                &[$(<$group as $crate::config::Group>::VARIABLES),*];

            fn read(get: &$crate::config::Lookup) -> Result<Self, $crate::config::ConfigError> {
                Ok(Self {
                    $($field: <$group as $crate::config::Group>::read(get)?,)*
                })
            }
        }
    };
    // A binary's part of the one-process binary's `Settings`: its fields are named as there.
    (part of Settings: $(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $group:ty,)* }) => {
        $crate::config_of! {
            $(#[$meta])* $vis struct $name { $($(#[$field_meta])* pub $field: $group,)* }
        }

        impl From<&$crate::config::Settings> for $name {
            fn from(settings: &$crate::config::Settings) -> Self {
                Self {
                    $($field: settings.$field.clone(),)*
                }
            }
        }
    };
}

config_of! {
    /// Every group: the configuration of the one-process binary, which runs everything.
    pub struct Settings {
        pub process: ProcessSettings,
        pub internal_api: InternalApiSettings,
        pub database: DatabaseSettings,
        pub jwt: JwtSettings,
        pub encryption: EncryptionSettings,
        pub recent_auth: RecentAuthSettings,
        /// The system clock; tests put theirs here (it reads no variable).
        pub clock: crate::time::Clock,
        pub redis: RedisSettings,
        pub http: HttpSettings,
        pub mail: MailSettings,
        pub pacing: RetryPacing,
        pub hashing: HashingSettings,
        pub initial_admin: Option<InitialAdmin>,
        pub avatars: AvatarSettings,
        pub janitor: JanitorSettings,
    }
}

impl Settings {
    /// The production rules, for settings built as a struct literal (reading applies them).
    pub fn check_production(&self) -> Result<(), ConfigError> {
        self.jwt.check_production(&self.process.environment)?;
        self.encryption.check(&self.process.environment)
    }
}

impl JwtSettings {
    /// `JWT_ALGORITHM=EdDSA`: access tokens signed with the auth service's Ed25519 keys.
    pub fn uses_signing_keys(&self) -> bool {
        self.algorithm == "EdDSA"
    }

    /// In production, default or short secrets are a configuration error, not a warning.
    pub fn check_production(&self, environment: &str) -> Result<(), ConfigError> {
        if environment != PRODUCTION {
            return Ok(());
        }
        for (name, secret, default) in [
            ("JWT_SECRET", &self.secret, DEFAULT_JWT_SECRET),
            (
                "JWT_REFRESH_SECRET",
                &self.refresh_secret,
                DEFAULT_JWT_REFRESH_SECRET,
            ),
        ] {
            let value = secret.expose_secret();
            if value == default || value.len() < MIN_PRODUCTION_SECRET_BYTES {
                return Err(ConfigError::Insecure(format!(
                    "{name} must be set to a random value of at least {MIN_PRODUCTION_SECRET_BYTES} bytes"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
