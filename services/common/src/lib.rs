//! What every astro-auth process shares: configuration, access-token checks, revocation,
//! database connection and migrations, gRPC server plumbing and input rules.

pub mod config;
pub mod db;
pub mod dependency;
pub mod domain;
pub mod grpc;
pub mod input;
pub mod janitor;
pub mod metrics;
pub mod password_policy;
pub mod reason;
pub mod redis_conn;
pub mod revocation;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod tokens;

pub use config::Settings;
