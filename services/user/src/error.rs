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
    /// The change would leave no active, verified admin.
    #[error("cannot remove the last admin")]
    LastAdmin,
    /// A request field failed validation.
    #[error("invalid {field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// An avatar upload that is not a decodable PNG, JPEG or WebP within the size limits.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// An avatar upload over [`astro_common::input::AVATAR_MAX_BYTES`].
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
            UserError::LastAdmin => Status::failed_precondition("Cannot remove the last admin"),
            UserError::Invalid { field, message } => astro_common::grpc::field_error(field, message),
            UserError::InvalidImage(reason) => {
                // The reason (a decoder's message) helps us, not the client.
                tracing::debug!(%reason, "avatar refused");
                Status::invalid_argument("Invalid image file")
            }
            UserError::ImageTooLarge => Status::invalid_argument("File size must be less than 5MB"),
            UserError::AvatarNotFound => Status::not_found("Avatar not found"),
            UserError::CloudinaryUnreachable(ref e) => {
                tracing::warn!(error = %e, "avatar storage unavailable");
                Status::unavailable("Service temporarily unavailable")
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
