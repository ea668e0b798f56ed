//! A client of astro-auth for the platform's other internal services:
//! - [`AstroAuth`]: the consumer API (`ValidateToken`, `GetUser`, `BatchGetUsers`) over mutual
//!   TLS, with a certificate from the plane's CA ([`Certificates`], the files `astro-auth certs`
//!   writes);
//! - [`JwksVerifier`]: access tokens checked locally against the gateway's
//!   `/.well-known/jwks.json` (`JWT_ALGORITHM=EdDSA`), the keys cached and fetched again at most
//!   once a minute on an unknown `kid`;
//! - [`BearerAuthLayer`]: a tower layer for the consumer's own HTTP or gRPC server that lets
//!   through only requests with a good `Authorization: Bearer` access token, locally or also
//!   asking `ValidateToken` when revocation must be exact (logout, revoked sessions, disabled
//!   users are seen at once rather than when the token expires).
mod consumer;
mod jwks;
mod layer;

pub use astro_proto::{auth::v1::TokenValidation, user::v1::User};
pub use consumer::{AstroAuth, Certificates, ConnectError, ServiceAddr};
pub use jwks::{AccessClaims, JwksVerifier, Rejected};
pub use layer::{Authenticated, BearerAuth, BearerAuthLayer};
