//! The auth service's one error type, mapped to a gRPC status in one place: refusals as typed
//! reasons and field violations (the gateway words them); internal causes logged, never sent.
use astro_domain::{
    input::InputError,
    reason::{Reason, field_violation},
};
use astro_platform::dependency;
use astro_store as db;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A refusal the caller can act on (bad credentials or token, a rule).
    #[error("{}", .0.description())]
    Refused(Reason),
    /// A refusal with facts for the edge (`ErrorInfo` metadata): the account a wrong second
    /// factor was for (its login throttle), the age recent authentication allows.
    #[error("{}", .0.description())]
    RefusedWith(Reason, Vec<(&'static str, String)>),
    /// A request field failed validation (password policy included).
    #[error("{field}: {error}")]
    Invalid { field: &'static str, error: InputError },
    #[error("service temporarily unavailable")]
    Unavailable,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("downstream call failed: {0}")]
    Downstream(Status),
    #[error("internal: {0}")]
    Internal(String),
}

impl AuthError {
    /// Whether a dependency (the database, another service) failed, rather than the request.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AuthError::Unavailable => true,
            AuthError::Database(e) => db::is_unavailable(e),
            AuthError::Downstream(status) => dependency::is_failure(status),
            _ => false,
        }
    }
}

impl AuthError {
    /// A validation failure on `field`.
    pub fn invalid(field: &'static str, error: impl Into<InputError>) -> Self {
        AuthError::Invalid {
            field,
            error: error.into(),
        }
    }
}

impl From<crate::hashing::HashingError> for AuthError {
    fn from(err: crate::hashing::HashingError) -> Self {
        AuthError::Internal(err.to_string())
    }
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Refused(reason) => reason.status(),
            AuthError::RefusedWith(reason, metadata) => reason.status_with(metadata),
            AuthError::Invalid { field, error } => field_violation(field, &error),
            AuthError::Unavailable => Status::unavailable("Service temporarily unavailable"),
            AuthError::Database(e) if db::is_unavailable(&e) => {
                dependency::record("database", &e);
                dependency::unavailable()
            }
            // Recorded (counted, logged) by the client's channel or the service that answered.
            AuthError::Downstream(status) if dependency::is_failure(&status) => {
                tracing::debug!(%status, "downstream unavailable");
                dependency::unavailable()
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Status::internal("Internal server error")
            }
        }
    }
}
