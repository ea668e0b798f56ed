//! The groups only some services read: mail and its pacing, password hashing, the first
//! admin, avatars, the janitors.
use super::{secret, var};
use crate::config::{
    ConfigError, Group, Variable,
    model::*,
    read::{DAY, Lookup, invalid, parse, positive},
};
use std::time::Duration;

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
