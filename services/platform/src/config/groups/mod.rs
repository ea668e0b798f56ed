//! Each settings group reads its own variables: the names it declares (which become the
//! binary's flags and `--help`) and how their text becomes typed values, side by side. Here
//! the groups of every process and the gateway's; the services' own in `service`.
mod encryption;
mod service;
mod step_up;

use super::{
    ConfigError, Group, Variable,
    model::*,
    read::{DAY, Lookup, invalid, list, optional, parse, service_urls, socket_addr},
};
use std::time::Duration;

/// The development secret used when none is configured; refused in production.
pub const DEFAULT_JWT_SECRET: &str = "your-secret-key-change-in-production";
pub(super) const DEFAULT_JWT_REFRESH_SECRET: &str = "your-refresh-secret-key-change-in-production";

pub(super) const fn var(name: &'static str, help: &'static str) -> Variable {
    Variable {
        name,
        help,
        secret: false,
    }
}

pub(super) const fn secret(name: &'static str, help: &'static str) -> Variable {
    Variable {
        name,
        help,
        secret: true,
    }
}

impl Group for ProcessSettings {
    const VARIABLES: &'static [Variable] = &[
        var(
            "ENVIRONMENT",
            "`production` enforces strong secrets and mutual TLS [default: development]",
        ),
        var(
            "GRPC_ADDR",
            "where a service process listens [default: its own loopback port, 7051-7054]",
        ),
        var(
            "GRPC_TLS_CERT",
            "this process's certificate (PEM), for mutual TLS on the gRPC plane",
        ),
        var("GRPC_TLS_KEY", "this process's private key (PEM)"),
        var("GRPC_TLS_CA", "the plane's CA (PEM)"),
        var(
            "METRICS_ADDR",
            "where a service process serves GET /metrics [default: loopback 9101-9104]",
        ),
        var(
            "AUTH_SERVICE_URL",
            "where the auth service answers [default: http(s)://127.0.0.1:7051]",
        ),
        var(
            "USER_SERVICE_URL",
            "where the user service answers [default: http(s)://127.0.0.1:7052]",
        ),
        var(
            "ADMIN_SERVICE_URL",
            "where the admin service answers [default: http(s)://127.0.0.1:7053]",
        ),
        var(
            "NOTIFICATION_SERVICE_URL",
            "where the notification service answers [default: http(s)://127.0.0.1:7054]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let grpc_tls = match (get("GRPC_TLS_CERT"), get("GRPC_TLS_KEY"), get("GRPC_TLS_CA")) {
            (Some(cert), Some(key), Some(ca)) => Some(GrpcTlsFiles {
                cert: cert.into(),
                key: key.into(),
                ca: ca.into(),
            }),
            (None, None, None) => None,
            _ => {
                return Err(invalid(
                    "GRPC_TLS_CERT",
                    "GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA must be set together",
                ));
            }
        };
        Ok(ProcessSettings {
            environment: get("ENVIRONMENT").unwrap_or_else(|| "development".into()),
            grpc_addr: optional(get, "GRPC_ADDR")?,
            metrics_addr: optional(get, "METRICS_ADDR")?,
            services: service_urls(get, grpc_tls.is_some()),
            grpc_tls,
        })
    }
}

impl Group for InternalApiSettings {
    const VARIABLES: &'static [Variable] = &[var(
        "INTERNAL_GRPC_ADDR",
        "one-process binary: serve the consumer API here, with mutual TLS [default: off]",
    )];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(InternalApiSettings {
            addr: optional(get, "INTERNAL_GRPC_ADDR")?,
        })
    }
}

impl Group for DatabaseSettings {
    const VARIABLES: &'static [Variable] = &[secret(
        "DATABASE_URL",
        "sqlite://… or postgres://… [default: sqlite://./data/astro-auth.db]",
    )];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(DatabaseSettings {
            url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://./data/astro-auth.db".into()),
        })
    }
}

impl Group for JwtSettings {
    const VARIABLES: &'static [Variable] = &[
        // Read here too: production refuses weak secrets.
        var(
            "ENVIRONMENT",
            "`production` enforces strong secrets and mutual TLS [default: development]",
        ),
        secret(
            "JWT_SECRET",
            "signing key of access tokens (production: 32 bytes or more)",
        ),
        secret(
            "JWT_REFRESH_SECRET",
            "signing key of refresh tokens (production: 32 bytes or more)",
        ),
        var(
            "JWT_ALGORITHM",
            "HS256, HS384, HS512 or EdDSA (Ed25519 keys in the auth database, JWKS) [default: HS256]",
        ),
        var(
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "access-token lifetime [default: 15]",
        ),
        var("REFRESH_TOKEN_EXPIRE_DAYS", "refresh-token lifetime [default: 7]"),
        var("JWT_ISSUER", "the tokens' iss [default: astro-auth]"),
        var("JWT_AUDIENCE", "the tokens' aud [default: astro-auth]"),
        var(
            "REFRESH_REUSE_GRACE_SECONDS",
            "a just-rotated refresh token gets its successor again this long, 0-120 [default: 30]",
        ),
        var(
            "JWT_KEYS_REFRESH_SECONDS",
            "EdDSA: how often each process re-reads the signing keys, 1-10 [default: 5]",
        ),
        var(
            "JWT_KEY_PUBLISH_AHEAD_SECONDS",
            "EdDSA: `keys rotate` publishes a next key this long before it signs [default: 300, the JWKS max-age]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let jwt = JwtSettings {
            secret: get("JWT_SECRET")
                .unwrap_or_else(|| DEFAULT_JWT_SECRET.into())
                .into(),
            refresh_secret: get("JWT_REFRESH_SECRET")
                .unwrap_or_else(|| DEFAULT_JWT_REFRESH_SECRET.into())
                .into(),
            algorithm: get("JWT_ALGORITHM").unwrap_or_else(|| "HS256".into()),
            access_ttl: Duration::from_secs(60 * parse(get, "ACCESS_TOKEN_EXPIRE_MINUTES", 15)?),
            refresh_ttl: Duration::from_secs(DAY * parse(get, "REFRESH_TOKEN_EXPIRE_DAYS", 7)?),
            issuer: get("JWT_ISSUER").unwrap_or_else(|| "astro-auth".into()),
            audience: get("JWT_AUDIENCE").unwrap_or_else(|| "astro-auth".into()),
            refresh_reuse_grace: Duration::from_secs(match parse(get, "REFRESH_REUSE_GRACE_SECONDS", 30)? {
                seconds @ 0..=120 => seconds,
                other => {
                    return Err(invalid(
                        "REFRESH_REUSE_GRACE_SECONDS",
                        format!("{other} is outside 0-120"),
                    ));
                }
            }),
            keys_refresh: Duration::from_secs(match parse(get, "JWT_KEYS_REFRESH_SECONDS", 5)? {
                seconds @ 1..=10 => seconds,
                other => {
                    return Err(invalid(
                        "JWT_KEYS_REFRESH_SECONDS",
                        format!("{other} is outside 1-10"),
                    ));
                }
            }),
            key_publish_ahead: Duration::from_secs(parse(get, "JWT_KEY_PUBLISH_AHEAD_SECONDS", 300)?),
        };
        jwt.check_production(&get("ENVIRONMENT").unwrap_or_default())?;
        Ok(jwt)
    }
}

impl Group for RedisSettings {
    const VARIABLES: &'static [Variable] = &[
        secret(
            "REDIS_URL",
            "shared revocations and rate limits [default: in memory]",
        ),
        var(
            "REDIS_KEY_PREFIX",
            "prepended to every Redis key [default: astro:]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(RedisSettings {
            url: get("REDIS_URL"),
            key_prefix: get("REDIS_KEY_PREFIX").unwrap_or_else(|| "astro:".into()),
        })
    }
}

impl Group for HttpSettings {
    const VARIABLES: &'static [Variable] = &[
        var("HOST", "where the gateway listens [default: 0.0.0.0]"),
        var("PORT", "the gateway's port [default: 8000]"),
        var("CORS_ORIGINS", "allowed origins, a JSON list or comma-separated"),
        var(
            "RATE_LIMIT_PER_MINUTE",
            "requests per client IP per minute [default: 100]",
        ),
        var(
            "LOGIN_RATE_LIMIT_PER_15MIN",
            "register, login, resend per client IP [default: 5]",
        ),
        var(
            "PASSWORD_RESET_RATE_LIMIT_PER_HOUR",
            "forgot-password per IP and per email [default: 3]",
        ),
        var(
            "LOGIN_FAILURES_PER_ACCOUNT_15MIN",
            "failed logins per account [default: 10]",
        ),
        var(
            "TRUSTED_PROXIES",
            "peers (IPs or CIDRs) whose X-Forwarded-For is believed",
        ),
        var(
            "BASE_URL",
            "public URL of this API [default: http://localhost:8000]",
        ),
        var(
            "COOKIE_SECURE",
            "browser mode's cookies are Secure, __Host-/__Secure- named [default: true in production]",
        ),
        // Read here too: production makes cookies Secure by default.
        var(
            "ENVIRONMENT",
            "`production` enforces strong secrets and mutual TLS [default: development]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(HttpSettings {
            addr: socket_addr(
                &get("HOST").unwrap_or_else(|| "0.0.0.0".into()),
                parse(get, "PORT", 8000)?,
            )?,
            cors_origins: list(get("CORS_ORIGINS")),
            base_url: get("BASE_URL").unwrap_or_else(|| "http://localhost:8000".into()),
            cookie_secure: parse(
                get,
                "COOKIE_SECURE",
                get("ENVIRONMENT").as_deref() == Some(crate::config::PRODUCTION),
            )?,
            limits: RateLimitSettings {
                per_minute: parse(get, "RATE_LIMIT_PER_MINUTE", 100)?,
                login_per_15min: parse(get, "LOGIN_RATE_LIMIT_PER_15MIN", 5)?,
                password_reset_per_hour: parse(get, "PASSWORD_RESET_RATE_LIMIT_PER_HOUR", 3)?,
                login_failures_per_account_15min: parse(get, "LOGIN_FAILURES_PER_ACCOUNT_15MIN", 10)?,
                trusted_proxies: list(get("TRUSTED_PROXIES")),
            },
        })
    }
}
