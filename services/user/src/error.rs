//! The crate's one error type and its single mapping to a gRPC status.
use tonic::Status;

/// Everything that can go wrong in the user service.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// No user with the requested id or email.
    #[error("user not found")]
    NotFound,
    /// A unique field (`"email"` or `"username"`) is already taken by another user.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A request field failed validation.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database setup failed: {0}")]
    Setup(#[from] astro_common::db::DbError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl UserError {
    /// A validation failure on `field`.
    pub fn invalid(field: &'static str, message: impl ToString) -> Self {
        UserError::Invalid {
            field,
            message: message.to_string(),
        }
    }
}

impl From<UserError> for Status {
    fn from(err: UserError) -> Self {
        match err {
            UserError::NotFound => Status::not_found("User not found"),
            // The message is only the field name: callers turn it into their own wording.
            UserError::Conflict(field) => Status::already_exists(field),
            UserError::Invalid { field, message } => {
                astro_common::grpc::field_error(field, message)
            }
            UserError::Database(ref e) if astro_common::db::is_unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("Service temporarily unavailable")
            }
            other => {
                // The details stay in our logs; callers (and through them, clients) never see
                // SQL, addresses or other internals.
                tracing::error!(error = %other, "internal error");
                Status::internal("Internal server error")
            }
        }
    }
}
