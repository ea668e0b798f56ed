//! The crate's one error type, turned into a gRPC status in exactly one place.
use astro_store::{DbError, is_unavailable};
use std::path::PathBuf;
use tonic::Status;

/// Everything that can go wrong in the notification service.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// The caller sent something unusable; the message is safe to show.
    #[error("invalid {field}: {message}")]
    InvalidArgument { field: &'static str, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database setup failed: {0}")]
    DbSetup(#[from] DbError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot read template {path}: {source}")]
    Template { path: PathBuf, source: std::io::Error },
    #[error("cannot create the mail directory {path}: {source}")]
    MailDir { path: PathBuf, source: std::io::Error },
    #[error("cannot set up the SMTP transport: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("gRPC server failed: {0}")]
    Server(#[from] tonic::transport::Error),
    #[error(transparent)]
    ServerTls(#[from] astro_platform::grpc::ServerTlsError),
}

/// The crate's result type.
pub type Result<T, E = NotificationError> = std::result::Result<T, E>;

impl NotificationError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        NotificationError::InvalidArgument {
            field,
            message: message.into(),
        }
    }

    fn database_unavailable(&self) -> bool {
        match self {
            NotificationError::Database(e) | NotificationError::DbSetup(DbError::Sqlx(e)) => {
                is_unavailable(e)
            }
            _ => false,
        }
    }
}

impl From<NotificationError> for Status {
    fn from(err: NotificationError) -> Status {
        match err {
            NotificationError::InvalidArgument { field, message } => {
                astro_domain::reason::invalid_field(field, &message)
            }
            // Internals stay in the log: a status message may end up in front of a user.
            err if err.database_unavailable() => {
                astro_platform::dependency::record("database", &err);
                Status::unavailable("Service temporarily unavailable")
            }
            err => {
                tracing::error!(error = %err, "request failed");
                Status::internal("Internal server error")
            }
        }
    }
}
