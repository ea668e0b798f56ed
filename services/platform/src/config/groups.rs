//! Each settings group reads its own variables: the names it declares (which become the
//! binary's flags and `--help`) and how their text becomes typed values, side by side.
use super::{
    ConfigError, Group, Variable,
    model::*,
    read::{DAY, Lookup, invalid, list, optional, parse, positive, service_urls, socket_addr},
};
use std::time::Duration;

/// The development secret used when none is configured; refused in production.
pub const DEFAULT_JWT_SECRET: &str = "your-secret-key-change-in-production";
pub(super) const DEFAULT_JWT_REFRESH_SECRET: &str = "your-refresh-secret-key-change-in-production";

const fn var(name: &'static str, help: &'static str) -> Variable {
    Variable {
        name,
        help,
        secret: false,
    }
}

const fn secret(name: &'static str, help: &'static str) -> Variable {
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
        var("JWT_ALGORITHM", "HS256, HS384 or HS512 [default: HS256]"),
        var(
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "access-token lifetime [default: 15]",
        ),
        var("REFRESH_TOKEN_EXPIRE_DAYS", "refresh-token lifetime [default: 7]"),
        var("JWT_ISSUER", "the tokens' iss [default: astro-auth]"),
        var("JWT_AUDIENCE", "the tokens' aud [default: astro-auth]"),
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
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(HttpSettings {
            addr: socket_addr(
                &get("HOST").unwrap_or_else(|| "0.0.0.0".into()),
                parse(get, "PORT", 8000)?,
            )?,
            cors_origins: list(get("CORS_ORIGINS")),
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

impl Group for RetryPacing {
    const VARIABLES: &'static [Variable] = &[
        var(
            "MAIL_POLL_INTERVAL_MS",
            "how often queued mail is looked at [default: 1000]",
        ),
        var(
            "MAIL_RETRY_BASE_MS",
            "first retry delay, doubled per attempt [default: 2000]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(RetryPacing {
            poll_interval: Duration::from_millis(parse(get, "MAIL_POLL_INTERVAL_MS", 1000)?),
            retry_base: Duration::from_millis(parse(get, "MAIL_RETRY_BASE_MS", 2000)?),
        })
    }
}

impl Group for MailSettings {
    const VARIABLES: &'static [Variable] = &[
        var(
            "SMTP_HOST",
            "SMTP server [default: none, mail is written as .eml files]",
        ),
        var("SMTP_PORT", "SMTP port [default: 587]"),
        var(
            "SMTP_TLS",
            "starttls, tls or none [default: by port: 587 starttls, 465 tls]",
        ),
        var("SMTP_USER", "SMTP login"),
        secret("SMTP_PASSWORD", "SMTP password"),
        var("FROM_EMAIL", "sender address [default: noreply@astro-auth.local]"),
        var(
            "MAIL_DIR",
            "where .eml files go without SMTP [default: ./data/mail]",
        ),
        var(
            "FRONTEND_URL",
            "base of the links in emails [default: http://localhost:3000]",
        ),
        var(
            "TEMPLATE_DIR",
            "email templates overriding the built-in ones, per file",
        ),
        var(
            "MAIL_MAX_ATTEMPTS",
            "delivery attempts before an email is dead [default: 8]",
        ),
        var(
            "MAIL_POLL_INTERVAL_MS",
            "how often queued mail is looked at [default: 1000]",
        ),
        var(
            "MAIL_RETRY_BASE_MS",
            "first retry delay, doubled per attempt [default: 2000]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let smtp = match get("SMTP_HOST") {
            None => None,
            Some(host) => {
                let port: u16 = parse(get, "SMTP_PORT", 587)?;
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
                    password: get("SMTP_PASSWORD").map(Into::into),
                })
            }
        };
        Ok(MailSettings {
            smtp,
            from_email: get("FROM_EMAIL").unwrap_or_else(|| "noreply@astro-auth.local".into()),
            mail_dir: get("MAIL_DIR").unwrap_or_else(|| "./data/mail".into()).into(),
            frontend_url: get("FRONTEND_URL").unwrap_or_else(|| "http://localhost:3000".into()),
            template_dir: get("TEMPLATE_DIR").map(Into::into),
            max_attempts: parse(get, "MAIL_MAX_ATTEMPTS", 8)?,
            pacing: RetryPacing::read(get)?,
        })
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

impl Group for HashingSettings {
    const VARIABLES: &'static [Variable] = &[
        var("ARGON2_MEMORY_KIB", "argon2id memory cost [default: 19456]"),
        var("ARGON2_ITERATIONS", "argon2id iterations [default: 2]"),
        var("ARGON2_PARALLELISM", "argon2id lanes [default: 1]"),
        var(
            "PASSWORD_HASH_CONCURRENCY",
            "hashes at once; more queue [default: cores]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(HashingSettings {
            memory_kib: parse(get, "ARGON2_MEMORY_KIB", 19_456)?,
            iterations: parse(get, "ARGON2_ITERATIONS", 2)?,
            parallelism: parse(get, "ARGON2_PARALLELISM", 1)?,
            concurrency: parse(get, "PASSWORD_HASH_CONCURRENCY", cores)?,
        })
    }
}

impl Group for Option<InitialAdmin> {
    const VARIABLES: &'static [Variable] = &[
        var(
            "INITIAL_ADMIN_EMAIL",
            "create this verified admin at start if none exists",
        ),
        secret("INITIAL_ADMIN_PASSWORD", "the first admin's password"),
        var(
            "INITIAL_ADMIN_USERNAME",
            "the first admin's username [default: admin]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(
            match (get("INITIAL_ADMIN_EMAIL"), get("INITIAL_ADMIN_PASSWORD")) {
                (Some(email), Some(password)) => Some(InitialAdmin {
                    email,
                    username: get("INITIAL_ADMIN_USERNAME").unwrap_or_else(|| "admin".into()),
                    password: password.into(),
                }),
                _ => None,
            },
        )
    }
}

impl Group for AvatarSettings {
    const VARIABLES: &'static [Variable] = &[
        var(
            "BASE_URL",
            "public URL of this API [default: http://localhost:8000]",
        ),
        var(
            "AVATAR_DIR",
            "where local avatars are kept [default: ./data/avatars]",
        ),
        var(
            "CLOUDINARY_CLOUD_NAME",
            "Cloudinary cloud (all three set: avatars go there)",
        ),
        var("CLOUDINARY_API_KEY", "Cloudinary API key"),
        secret("CLOUDINARY_API_SECRET", "Cloudinary API secret"),
        var("CLOUDINARY_API_BASE_URL", "[default: https://api.cloudinary.com]"),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let cloudinary = match (
            get("CLOUDINARY_CLOUD_NAME"),
            get("CLOUDINARY_API_KEY"),
            get("CLOUDINARY_API_SECRET"),
        ) {
            (Some(cloud_name), Some(api_key), Some(secret)) => Some(CloudinarySettings {
                cloud_name,
                api_key,
                api_secret: secret.into(),
                api_base_url: get("CLOUDINARY_API_BASE_URL")
                    .unwrap_or_else(|| "https://api.cloudinary.com".into())
                    .trim_end_matches('/')
                    .to_owned(),
            }),
            (None, None, None) => None,
            _ => {
                return Err(invalid(
                    "CLOUDINARY_CLOUD_NAME",
                    "CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET go together",
                ));
            }
        };
        Ok(AvatarSettings {
            base_url: get("BASE_URL").unwrap_or_else(|| "http://localhost:8000".into()),
            dir: get("AVATAR_DIR")
                .unwrap_or_else(|| "./data/avatars".into())
                .into(),
            cloudinary,
        })
    }
}

impl Group for JanitorSettings {
    const VARIABLES: &'static [Variable] = &[
        var(
            "JANITOR_INTERVAL_SECS",
            "how often expired rows are removed [default: 3600]",
        ),
        var(
            "EMAIL_RETENTION_DAYS",
            "how long sent and dead emails are kept [default: 30]",
        ),
        var(
            "AUDIT_RETENTION_DAYS",
            "how long audit events are kept [default: 365]",
        ),
    ];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        Ok(JanitorSettings {
            interval: Duration::from_secs(positive(get, "JANITOR_INTERVAL_SECS", 3600, 1)?),
            email_retention: Duration::from_secs(positive(get, "EMAIL_RETENTION_DAYS", 30, DAY)?),
            audit_retention: Duration::from_secs(positive(get, "AUDIT_RETENTION_DAYS", 365, DAY)?),
        })
    }
}
