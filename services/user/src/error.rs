//! The crate's one error type and its single mapping to a gRPC status.
use astro_domain::{
    input::InputError,
    reason::{Reason, field_violation},
};
use tonic::Status;

/// Everything that can go wrong in the user service.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// No user with the requested id or email.
    #[error("user not found")]
    NotFound,
    /// A unique field (`"email"` or `"username"`) is already taken by another user; sent as
    /// `EMAIL_TAKEN` or `USERNAME_TAKEN`.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The change would leave no active, verified admin.
    #[error("cannot remove the last admin")]
    LastAdmin,
    /// A request field failed validation.
    #[error("invalid {field}: {error}")]
    Invalid { field: &'static str, error: InputError },
    /// An avatar upload that is not a decodable PNG, JPEG or WebP within the size limits.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// An avatar upload over [`astro_domain::input::AVATAR_MAX_BYTES`].
    #[error("avatar file too large")]
    ImageTooLarge,
    /// No stored avatar by that name.
    #[error("avatar not found")]
    AvatarNotFound,
    /// The local avatar directory failed.
    #[error("avatar storage failed: {0}")]
    Storage(#[from] std::io::Error),
    /// Cloudinary could not be reached or timed out.
    #[error("Cloudinary unreachable: {0}")]
    CloudinaryUnreachable(#[from] reqwest::Error),
    /// Cloudinary answered, but not with success.
    #[error("Cloudinary refused: {0}")]
    Cloudinary(String),
    /// Concurrent avatar changes for one user kept overtaking each other.
    #[error("avatar changed concurrently too often")]
    Contended,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database setup failed: {0}")]
    Setup(#[from] astro_store::DbError),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    ServerTls(#[from] astro_platform::grpc::ServerTlsError),
}

impl UserError {
    /// A validation failure on `field`.
    pub fn invalid(field: &'static str, error: InputError) -> Self {
        UserError::Invalid { field, error }
    }
}

impl From<UserError> for Status {
    fn from(err: UserError) -> Self {
        match err {
            UserError::NotFound => Reason::UserNotFound.status(),
            UserError::Conflict("username") => Reason::UsernameTaken.status(),
            UserError::Conflict(_) => Reason::EmailTaken.status(),
            UserError::LastAdmin => Reason::LastAdmin.status(),
            UserError::Invalid { field, error } => field_violation(field, &error),
            UserError::InvalidImage(cause) => {
                // The cause (a decoder's message) helps us, not the client.
                tracing::debug!(%cause, "avatar refused");
                Reason::InvalidImage.status()
            }
            UserError::ImageTooLarge => Reason::ImageTooLarge.status(),
            UserError::AvatarNotFound => Reason::AvatarNotFound.status(),
            UserError::CloudinaryUnreachable(ref e) => {
                astro_platform::dependency::record("cloudinary", e);
                Status::unavailable("Service temporarily unavailable")
            }
            UserError::Database(ref e) if astro_store::is_unavailable(e) => {
                astro_platform::dependency::record("database", &e);
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
