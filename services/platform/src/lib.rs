//! How an astro-auth process runs: its configuration, the gRPC plane between processes
//! (servers, clients, mutual TLS, who may call whom), telemetry, metrics, shutdown and the
//! janitor's schedule. Changes with the deployment, not with the product's rules.

pub mod config;
pub mod dependency;
pub mod grpc;
pub mod janitor;
pub mod metrics;
pub mod redis_conn;
pub mod shutdown;
pub mod telemetry;
pub mod time;

pub use config::Settings;
