//! The admin service's one error type and its single mapping to a gRPC status, whose message
//! is the client-facing `detail`. Internal causes are logged, never sent.
use astro_common::{db, grpc::field_error};
use tonic::{Code, Status};

/// Everything that can go wrong in the admin service.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The caller's token or account does not authenticate them.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Authenticated, but not allowed (not an admin, or disabled).
    #[error("{0}")]
    Forbidden(&'static str),
    /// A rule refused the request (self-protection, unverified caller).
    #[error("{0}")]
    Refused(&'static str),
    #[error("user not found")]
    NotFound,
    /// A request field failed validation.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// A client-facing status from shared code (token checks), passed on as it is.
    #[error("{0}")]
    Status(Status),
    /// A call to the user or auth service failed.
    #[error("downstream call failed: {0}")]
    Downstream(Status),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database setup failed: {0}")]
    Setup(#[from] db::DbError),
    #[error(transparent)]
    Config(#[from] astro_common::tokens::UnsupportedAlgorithm),
    #[error(transparent)]
    ServiceUrl(#[from] astro_common::grpc::BadServiceUrl),
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

impl AdminError {
    /// A validation failure on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AdminError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<AdminError> for Status {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Unauthenticated(msg) => Status::unauthenticated(msg),
            AdminError::Forbidden(msg) => Status::permission_denied(msg),
            AdminError::Refused(msg) => Status::failed_precondition(msg),
            AdminError::NotFound => Status::not_found("User not found"),
            AdminError::Invalid { field, message } => field_error(field, message),
            AdminError::Status(status) => status,
            AdminError::Downstream(status) => downstream(status),
            AdminError::Database(e) if db::is_unavailable(&e) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("Service temporarily unavailable")
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Status::internal("Internal server error")
            }
        }
    }
}

/// What the user and auth services answered, in this service's words. Their client-facing
/// statuses (404, rule refusals, field errors with their metadata) pass through.
fn downstream(status: Status) -> Status {
    match status.code() {
        Code::AlreadyExists if status.message() == "username" => {
            Status::failed_precondition("Username already exists")
        }
        Code::AlreadyExists => Status::failed_precondition("Email already exists"),
        Code::NotFound => Status::not_found("User not found"),
        Code::FailedPrecondition | Code::InvalidArgument | Code::PermissionDenied | Code::Unauthenticated => {
            status
        }
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            tracing::warn!(error = %status, "downstream unavailable");
            Status::unavailable("Service temporarily unavailable")
        }
        _ => {
            tracing::error!(error = %status, "downstream failure");
            Status::internal("Internal server error")
        }
    }
}
