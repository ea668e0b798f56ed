//! Who may do what: access and refresh tokens (minted by `auth`, verified at the edge and again
//! in each service), the revocation list they are checked against, and the bearer check a
//! service applies to a forwarded call.
mod bearer;
pub mod revocation;
pub mod sealing;
pub mod tokens;

pub use bearer::authenticate;
