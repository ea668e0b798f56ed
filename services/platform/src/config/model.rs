//! The settings groups, as plain data: what each process is configured with. Tests build them
//! as struct literals; [`super::Group::read`] parses them from variables.
use secrecy::SecretString;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// How a process runs and finds the others: every binary has these.
#[derive(Clone, Debug)]
pub struct ProcessSettings {
    /// `ENVIRONMENT`: `production` enforces strong secrets and mutual TLS.
    pub environment: String,
    /// Where a service process listens (`GRPC_ADDR`); unset, each service's own loopback
    /// default ([`crate::grpc::Peer::default_addr`]).
    pub grpc_addr: Option<SocketAddr>,
    /// Mutual TLS on the gRPC plane between separate processes.
    pub grpc_tls: Option<GrpcTlsFiles>,
    /// Where a service process serves `GET /metrics` (`METRICS_ADDR`); unset, each service's
    /// own loopback default ([`crate::grpc::Peer::default_metrics_addr`]).
    pub metrics_addr: Option<SocketAddr>,
    pub services: ServiceUrls,
}

impl ProcessSettings {
    pub fn is_production(&self) -> bool {
        self.environment == super::PRODUCTION
    }
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

/// The one-process binary's consumer API for other internal services (`INTERNAL_GRPC_ADDR`):
/// off unless set, and then only with mutual TLS.
#[derive(Clone, Debug, Default)]
pub struct InternalApiSettings {
    pub addr: Option<SocketAddr>,
}

/// The database a service keeps its tables in (`DATABASE_URL`).
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: String,
}

#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub secret: SecretString,
    pub refresh_secret: SecretString,
    /// HS256, HS384, HS512 (access tokens signed with `secret`) or EdDSA (Ed25519 keys kept by
    /// the auth service, named by `kid`): the only algorithm access tokens are accepted with.
    pub algorithm: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub issuer: String,
    pub audience: String,
    /// How long a just-rotated refresh token is answered with its successor again (several
    /// tabs refreshing at once), 0-120 s.
    pub refresh_reuse_grace: Duration,
    /// EdDSA: how often a process re-reads the signing keys (a rotated key is seen this soon).
    pub keys_refresh: Duration,
    /// EdDSA: how long `astro-auth keys rotate` publishes a next key before it signs, so every
    /// JWKS cache (`max-age=300`) has it before the first token it signs.
    pub key_publish_ahead: Duration,
}

/// The key secrets are sealed with at rest (`DATA_ENCRYPTION_KEY`, base64 of 32 bytes).
/// Unset outside production, a development key is derived from `JWT_SECRET`.
#[derive(Clone, Debug, Default)]
pub struct EncryptionSettings {
    pub data_key: Option<SecretString>,
}

/// How recent an authentication the sensitive changes need (`RECENT_AUTH_MAX_AGE_SECONDS`).
#[derive(Clone, Debug)]
pub struct RecentAuthSettings {
    pub max_age: Duration,
}

/// Shared revocations and rate limits (`REDIS_URL`, `REDIS_KEY_PREFIX`).
#[derive(Clone, Debug)]
pub struct RedisSettings {
    pub url: Option<String>,
    /// Prepended to every Redis key, so deployments (or test runs) can share one Redis.
    pub key_prefix: String,
}

/// The gateway's HTTP side.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// `HOST` and `PORT`.
    pub addr: SocketAddr,
    pub cors_origins: Vec<String>,
    pub limits: RateLimitSettings,
    /// `BASE_URL`: this API's public URL, whose origin a browser's same-origin requests carry.
    pub base_url: String,
    /// Browser mode's cookies are `Secure` with `__Host-`/`__Secure-` names (`COOKIE_SECURE`,
    /// on by default in production).
    pub cookie_secure: bool,
}

#[derive(Clone, Debug)]
pub struct RateLimitSettings {
    pub per_minute: u32,
    pub login_per_15min: u32,
    pub password_reset_per_hour: u32,
    pub login_failures_per_account_15min: u32,
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct MailSettings {
    pub smtp: Option<SmtpSettings>,
    pub from_email: String,
    /// Where `.eml` files go when no SMTP host is configured.
    pub mail_dir: PathBuf,
    /// Base of the links in emails (`FRONTEND_URL`).
    pub frontend_url: String,
    /// Templates overriding the built-in ones, per file (`TEMPLATE_DIR`).
    pub template_dir: Option<PathBuf>,
    pub max_attempts: u32,
}

/// How often a queue (auth's outbox, the notification queue) is looked at when nothing wakes
/// it earlier, and its first retry delay, doubled per attempt with jitter.
#[derive(Clone, Debug)]
pub struct RetryPacing {
    pub poll_interval: Duration,
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

/// Where avatars go, and the public URL local ones are served under.
#[derive(Clone, Debug)]
pub struct AvatarSettings {
    /// `BASE_URL`: the public URL of this API.
    pub base_url: String,
    pub dir: PathBuf,
    /// Avatars go to Cloudinary when set; otherwise to `dir`.
    pub cloudinary: Option<CloudinarySettings>,
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

/// What the services' janitors remove, and how often they look.
#[derive(Clone, Debug)]
pub struct JanitorSettings {
    pub interval: Duration,
    /// How long sent and dead emails are kept.
    pub email_retention: Duration,
    /// How long audit events are kept.
    pub audit_retention: Duration,
}
