//! The auth service's one error type, mapped to a gRPC status in one place. The status message
//! is the client-facing `detail`; internal causes are logged, never sent.
use astro_common::{db, grpc::field_error, password_policy::WeakPassword};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("weak password in {field}: {reason}")]
    WeakPassword {
        field: &'static str,
        reason: WeakPassword,
    },
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("service temporarily unavailable")]
    Unavailable,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("downstream call failed: {0}")]
    Downstream(Status),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<crate::hashing::HashingError> for AuthError {
    fn from(err: crate::hashing::HashingError) -> Self {
        AuthError::Internal(err.to_string())
    }
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated(msg) => Status::unauthenticated(msg),
            AuthError::BadRequest(msg) => Status::failed_precondition(msg),
            AuthError::Forbidden(msg) => Status::permission_denied(msg),
            AuthError::WeakPassword { field, reason } => field_error(field, reason.to_string()),
            AuthError::Invalid { field, message } => field_error(field, message),
            AuthError::Unavailable => Status::unavailable("Service temporarily unavailable"),
            AuthError::Database(e) if db::is_unavailable(&e) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("Service temporarily unavailable")
            }
            AuthError::Downstream(status)
                if matches!(
                    status.code(),
                    Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled
                ) =>
            {
                tracing::warn!(error = %status, "downstream unavailable");
                Status::unavailable("Service temporarily unavailable")
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Status::internal("Internal server error")
            }
        }
    }
}
