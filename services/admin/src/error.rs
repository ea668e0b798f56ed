//! The admin service's one error type and its single mapping to a gRPC status: refusals as
//! typed reasons (the gateway words them), internal causes logged, never sent.
use astro_domain::{
    input::InputError,
    reason::{Reason, field_violation},
};
use astro_store as db;
use tonic::{Code, Status};

/// Everything that can go wrong in the admin service.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The caller is not authenticated or not allowed, or a rule (self-protection) refused the
    /// request.
    #[error("refused: {0:?}")]
    Refused(Reason),
    #[error("user not found")]
    NotFound,
    /// A request field failed validation.
    #[error("{field}: {error}")]
    Invalid { field: &'static str, error: InputError },
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
    Config(#[from] astro_security::tokens::UnsupportedAlgorithm),
    #[error(transparent)]
    Plane(#[from] astro_platform::grpc::PlaneError),
    #[error(transparent)]
    ServerTls(#[from] astro_platform::grpc::ServerTlsError),
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

impl AdminError {
    /// A validation failure on `field`.
    pub fn invalid(field: &'static str, error: InputError) -> Self {
        AdminError::Invalid { field, error }
    }
}

impl From<AdminError> for Status {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Refused(reason) => reason.status(),
            AdminError::NotFound => Reason::UserNotFound.status(),
            AdminError::Invalid { field, error } => field_violation(field, &error),
            AdminError::Status(status) => status,
            AdminError::Downstream(status) => downstream(status),
            AdminError::Database(e) if db::is_unavailable(&e) => {
                astro_platform::dependency::record("database", &e);
                Status::unavailable("Service temporarily unavailable")
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Status::internal("Internal server error")
            }
        }
    }
}

/// What the user and auth services answered. Their refusals (reasons, field violations) pass
/// through as they are; failures become this service's unavailable or internal error.
fn downstream(status: Status) -> Status {
    match status.code() {
        Code::AlreadyExists
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::InvalidArgument
        | Code::PermissionDenied
        | Code::Unauthenticated => status,
        // Recorded (counted, logged) by the client's channel or the service that answered.
        _ if astro_platform::dependency::is_failure(&status) => {
            tracing::debug!(%status, "downstream unavailable");
            astro_platform::dependency::unavailable()
        }
        _ => {
            tracing::error!(error = %status, "downstream failure");
            Status::internal("Internal server error")
        }
    }
}
