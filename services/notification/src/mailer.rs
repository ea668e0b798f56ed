//! Mail transports: SMTP when a host is configured, `.eml` files otherwise.
use crate::error::{NotificationError, Result};
use astro_platform::config::{MailSettings, SmtpSettings, SmtpTls};
use async_trait::async_trait;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{PoolConfig, authentication::Credentials},
};
use secrecy::ExposeSecret;
use std::{sync::Arc, time::Duration};

/// Per SMTP command; a stuck server must not stall the dispatcher.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections kept open to the relay (the dispatcher sends one email at a time per replica).
const SMTP_POOL_SIZE: u32 = 4;

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused for good (e.g. unknown mailbox): retrying cannot help.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
}

/// Delivers one message.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: Message) -> Result<(), SendError>;
}

/// Delivery to an SMTP relay over a connection pool.
pub struct SmtpMailer(AsyncSmtpTransport<Tokio1Executor>);

/// Delivery into a directory as `<uuid>.eml` files (development and tests).
pub struct FileMailer(AsyncFileTransport<Tokio1Executor>);

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        self.0.send(message).await.map(drop).map_err(|e| SendError {
            permanent: e.is_permanent(),
            message: e.to_string(),
        })
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        self.0
            .send(message)
            .await
            .map(drop)
            .map_err(|e| SendError::transient(e.to_string()))
    }
}

impl SmtpMailer {
    /// A pooled transport; connects on first send, so a down relay does not stop start-up.
    pub fn new(smtp: &SmtpSettings) -> Result<Self> {
        let builder = match smtp.tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str()),
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(SMTP_POOL_SIZE));
        match (&smtp.user, &smtp.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(
                    user.clone(),
                    password.expose_secret().to_owned(),
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(NotificationError::Config(
                    "SMTP_USER and SMTP_PASSWORD go together".into(),
                ));
            }
            (None, None) => {}
        }
        Ok(SmtpMailer(builder.build()))
    }
}

impl FileMailer {
    /// Writes into `dir`, creating it.
    pub async fn new(dir: &std::path::Path) -> Result<Self> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| NotificationError::MailDir {
                path: dir.to_owned(),
                source,
            })?;
        Ok(FileMailer(AsyncFileTransport::new(dir)))
    }
}

/// The transport the settings ask for.
pub async fn from_settings(mail: &MailSettings) -> Result<Arc<dyn Mailer>> {
    Ok(match &mail.smtp {
        Some(smtp) => {
            // Host and port only: the password never reaches a log line.
            tracing::info!(host = %smtp.host, port = smtp.port, tls = ?smtp.tls, "mail goes to SMTP");
            Arc::new(SmtpMailer::new(smtp)?)
        }
        None => {
            tracing::info!(dir = %mail.mail_dir.display(), "mail is written as .eml files");
            Arc::new(FileMailer::new(&mail.mail_dir).await?)
        }
    })
}
