//! What the test suites share, so that each helper exists once: `tests/api`, `tests/multiprocess`
//! and the services' own `tests/api` all create scratch databases, run tests on both backends,
//! read the mail the notification service writes, listen as an SMTP server and make up users.
//!
//! - [`ScratchDb`]: a database of one test's own, SQLite or PostgreSQL, removed afterwards.
//! - [`Backend`], [`per_backend!`] and [`on_both_backends!`]: one test body, two databases.
//! - [`mail`]: the `.eml` files of `MAIL_DIR`, parsed and waited for.
//! - [`smtp`]: a real SMTP server on loopback, for the SMTP transport and its outages.
//! - [`TestUser`], [`Tokens`]: users unique to a test, and the token pairs they get.
mod backend;
mod cleanup;
mod database;
mod http;
pub mod mail;
pub mod smtp;
mod users;

pub use backend::Backend;
pub use cleanup::await_in_drop;
pub use database::{ScratchDb, on_each_backend};
pub use http::http_client;
pub use users::{PASSWORD, TestUser, Tokens};

/// The frontend URL test stacks are configured with (`FRONTEND_URL`): mailed links start with it.
pub const FRONTEND_URL: &str = "http://frontend.test";
