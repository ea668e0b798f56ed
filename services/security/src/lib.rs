//! Who may do what: access and refresh tokens (minted by `auth`, verified at the edge and again
//! in each service), the keys they are signed with, the revocation list they are checked
//! against, and the bearer check a service applies to a forwarded call.
mod bearer;
pub mod key_ring;
pub mod remote_keys;
pub mod revocation;
pub mod sealing;
pub mod signing_keys;
pub mod tokens;

pub use bearer::authenticate;
