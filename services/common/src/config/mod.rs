//! Configuration as plain data, parsed once from the environment (names as the original's
//! `.env`). Tests build it as a struct literal or with [`Settings::from_lookup`].
use read::{DAY, cloudinary, grpc_tls, invalid, list, parse, positive, service_urls, socket_addr};
use secrecy::{ExposeSecret, SecretString};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

mod read;

/// The development secret used when none is configured; refused in production.
pub const DEFAULT_JWT_SECRET: &str = "your-secret-key-change-in-production";
const DEFAULT_JWT_REFRESH_SECRET: &str = "your-refresh-secret-key-change-in-production";
const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("refusing to start in production: {0}")]
    Insecure(String),
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: String,
    pub database_url: String,
    pub jwt: JwtSettings,
    pub redis_url: Option<String>,
    /// Prepended to every Redis key, so deployments (or test runs) can share one Redis.
    pub redis_key_prefix: String,
    pub mail: MailSettings,
    pub frontend_url: String,
    pub base_url: String,
    pub limits: RateLimitSettings,
    pub cors_origins: Vec<String>,
    pub http_addr: SocketAddr,
    /// Where a service process listens (`GRPC_ADDR`); unset, each service's own loopback
    /// default ([`crate::grpc::Peer::default_addr`]).
    pub grpc_addr: Option<SocketAddr>,
    /// Mutual TLS on the gRPC plane between separate processes.
    pub grpc_tls: Option<GrpcTlsFiles>,
    /// Where a service process serves `GET /metrics` (`METRICS_ADDR`); unset, each service's
    /// own loopback default ([`crate::grpc::Peer::default_metrics_addr`]).
    pub metrics_addr: Option<SocketAddr>,
    pub services: ServiceUrls,
    pub hashing: HashingSettings,
    pub initial_admin: Option<InitialAdmin>,
    pub avatar_dir: PathBuf,
    /// Avatars go to Cloudinary when set; otherwise to `avatar_dir`.
    pub cloudinary: Option<CloudinarySettings>,
    pub janitor: JanitorSettings,
}

/// What the services' janitors remove, and how often they look (`JANITOR_INTERVAL_SECS`,
/// `EMAIL_RETENTION_DAYS`, `AUDIT_RETENTION_DAYS`).
#[derive(Clone, Debug)]
pub struct JanitorSettings {
    pub interval: Duration,
    /// How long sent and dead emails are kept.
    pub email_retention: Duration,
    /// How long audit events are kept.
    pub audit_retention: Duration,
}

/// Cloudinary's signed upload API (`CLOUDINARY_*`).
#[derive(Clone, Debug)]
pub struct CloudinarySettings {
    pub cloud_name: String,
    pub api_key: String,
    pub api_secret: SecretString,
    /// `https://api.cloudinary.com` unless `CLOUDINARY_API_BASE_URL` says otherwise (tests).
    pub api_base_url: String,
}

#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub secret: SecretString,
    pub refresh_secret: SecretString,
    /// One of HS256, HS384, HS512: the only algorithm tokens are accepted with.
    pub algorithm: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub issuer: String,
    pub audience: String,
}

#[derive(Clone, Debug)]
pub struct MailSettings {
    pub smtp: Option<SmtpSettings>,
    pub from_email: String,
    /// Where `.eml` files go when no SMTP host is configured.
    pub mail_dir: PathBuf,
    /// How often queued mail is looked at when nothing wakes the dispatcher earlier.
    pub poll_interval: Duration,
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt (with jitter).
    pub retry_base: Duration,
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

#[derive(Clone, Debug)]
pub struct RateLimitSettings {
    pub per_minute: u32,
    pub login_per_15min: u32,
    pub password_reset_per_hour: u32,
    pub login_failures_per_account_15min: u32,
    pub trusted_proxies: Vec<String>,
}

/// This process's certificate and key and the plane's CA (`GRPC_TLS_CERT`, `GRPC_TLS_KEY`,
/// `GRPC_TLS_CA`), PEM files.
#[derive(Clone, Debug)]
pub struct GrpcTlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// Where each process finds the others (gRPC endpoints such as `https://auth:7051`).
#[derive(Clone, Debug)]
pub struct ServiceUrls {
    pub auth: String,
    pub user: String,
    pub admin: String,
    pub notification: String,
}

#[derive(Clone, Debug)]
pub struct HashingSettings {
    /// argon2id memory cost in KiB (OWASP: 19456).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// How many hashes may run at once; more requests queue.
    pub concurrency: usize,
}

#[derive(Clone, Debug)]
pub struct InitialAdmin {
    pub email: String,
    pub username: String,
    pub password: SecretString,
}

impl Settings {
    /// Reads the process environment (call `dotenvy::dotenv()` first to honour `.env`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any name → value lookup; unset names take their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let environment = get("ENVIRONMENT").unwrap_or_else(|| "development".into());
        let jwt = JwtSettings {
            secret: get("JWT_SECRET")
                .unwrap_or_else(|| DEFAULT_JWT_SECRET.into())
                .into(),
            refresh_secret: get("JWT_REFRESH_SECRET")
                .unwrap_or_else(|| DEFAULT_JWT_REFRESH_SECRET.into())
                .into(),
            algorithm: get("JWT_ALGORITHM").unwrap_or_else(|| "HS256".into()),
            access_ttl: Duration::from_secs(60 * parse(&get, "ACCESS_TOKEN_EXPIRE_MINUTES", 15)?),
            refresh_ttl: Duration::from_secs(86_400 * parse(&get, "REFRESH_TOKEN_EXPIRE_DAYS", 7)?),
            issuer: get("JWT_ISSUER").unwrap_or_else(|| "astro-auth".into()),
            audience: get("JWT_AUDIENCE").unwrap_or_else(|| "astro-auth".into()),
        };
        let smtp = match get("SMTP_HOST") {
            None => None,
            Some(host) => {
                let port: u16 = parse(&get, "SMTP_PORT", 587)?;
                let tls = match get("SMTP_TLS").as_deref() {
                    None => SmtpTls::default_for_port(port),
                    Some("starttls") => SmtpTls::StartTls,
                    Some("tls") => SmtpTls::Tls,
                    Some("none") => SmtpTls::None,
                    Some(other) => return Err(invalid("SMTP_TLS", other)),
                };
                Some(SmtpSettings {
                    host,
                    port,
                    tls,
                    user: get("SMTP_USER"),
                    password: get("SMTP_PASSWORD").map(SecretString::from),
                })
            }
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let grpc_tls = grpc_tls(&get)?;
        let settings = Settings {
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://./data/astro-auth.db".into()),
            jwt,
            redis_url: get("REDIS_URL"),
            redis_key_prefix: get("REDIS_KEY_PREFIX").unwrap_or_else(|| "astro:".into()),
            mail: MailSettings {
                smtp,
                from_email: get("FROM_EMAIL").unwrap_or_else(|| "noreply@astro-auth.local".into()),
                mail_dir: get("MAIL_DIR").unwrap_or_else(|| "./data/mail".into()).into(),
                poll_interval: Duration::from_millis(parse(&get, "MAIL_POLL_INTERVAL_MS", 1000)?),
                max_attempts: parse(&get, "MAIL_MAX_ATTEMPTS", 8)?,
                retry_base: Duration::from_millis(parse(&get, "MAIL_RETRY_BASE_MS", 2000)?),
            },
            frontend_url: get("FRONTEND_URL").unwrap_or_else(|| "http://localhost:3000".into()),
            base_url: get("BASE_URL").unwrap_or_else(|| "http://localhost:8000".into()),
            limits: RateLimitSettings {
                per_minute: parse(&get, "RATE_LIMIT_PER_MINUTE", 100)?,
                login_per_15min: parse(&get, "LOGIN_RATE_LIMIT_PER_15MIN", 5)?,
                password_reset_per_hour: parse(&get, "PASSWORD_RESET_RATE_LIMIT_PER_HOUR", 3)?,
                login_failures_per_account_15min: parse(&get, "LOGIN_FAILURES_PER_ACCOUNT_15MIN", 10)?,
                trusted_proxies: list(get("TRUSTED_PROXIES")),
            },
            cors_origins: list(get("CORS_ORIGINS")),
            http_addr: socket_addr(
                &get("HOST").unwrap_or_else(|| "0.0.0.0".into()),
                parse(&get, "PORT", 8000)?,
            )?,
            grpc_addr: get("GRPC_ADDR")
                .map(|addr| addr.parse().map_err(|e| invalid("GRPC_ADDR", e)))
                .transpose()?,
            services: service_urls(&get, grpc_tls.is_some()),
            grpc_tls,
            metrics_addr: get("METRICS_ADDR")
                .map(|addr| addr.parse().map_err(|e| invalid("METRICS_ADDR", e)))
                .transpose()?,
            hashing: HashingSettings {
                memory_kib: parse(&get, "ARGON2_MEMORY_KIB", 19_456)?,
                iterations: parse(&get, "ARGON2_ITERATIONS", 2)?,
                parallelism: parse(&get, "ARGON2_PARALLELISM", 1)?,
                concurrency: parse(&get, "PASSWORD_HASH_CONCURRENCY", cores)?,
            },
            initial_admin: match (get("INITIAL_ADMIN_EMAIL"), get("INITIAL_ADMIN_PASSWORD")) {
                (Some(email), Some(password)) => Some(InitialAdmin {
                    email,
                    username: get("INITIAL_ADMIN_USERNAME").unwrap_or_else(|| "admin".into()),
                    password: password.into(),
                }),
                _ => None,
            },
            avatar_dir: get("AVATAR_DIR")
                .unwrap_or_else(|| "./data/avatars".into())
                .into(),
            cloudinary: cloudinary(&get)?,
            janitor: JanitorSettings {
                interval: Duration::from_secs(positive(&get, "JANITOR_INTERVAL_SECS", 3600, 1)?),
                email_retention: Duration::from_secs(positive(&get, "EMAIL_RETENTION_DAYS", 30, DAY)?),
                audit_retention: Duration::from_secs(positive(&get, "AUDIT_RETENTION_DAYS", 365, DAY)?),
            },
            environment,
        };
        settings.check_production()?;
        Ok(settings)
    }

    /// In production, default or short secrets are a configuration error, not a warning.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        if self.environment != "production" {
            return Ok(());
        }
        for (name, secret, default) in [
            ("JWT_SECRET", &self.jwt.secret, DEFAULT_JWT_SECRET),
            (
                "JWT_REFRESH_SECRET",
                &self.jwt.refresh_secret,
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

impl SmtpTls {
    fn default_for_port(port: u16) -> Self {
        match port {
            587 => SmtpTls::StartTls,
            465 => SmtpTls::Tls,
            _ => SmtpTls::None,
        }
    }
}

#[cfg(test)]
mod tests;
