//! gRPC plumbing every service shares: the plane the services reach one another on (in
//! process, or over TCP with mutual TLS), servers with health, reflection and per-RPC caller
//! allow-lists, reconnecting client channels, and the metadata that carries the caller's
//! bearer token and client info across hops.
mod access;
mod client;
mod in_process;
mod peer;
mod plane;
mod server;
mod tls;

pub use access::{AccessRule, AccessTable, Caller};
pub use client::{BadServiceUrl, BoxError, GrpcChannel, PlaneChannel, TracePropagation};
pub use peer::Peer;
pub use plane::{Listener, Plane, PlaneError};
pub use server::{CallMetrics, CallMetricsLayer, GrpcRouter, ServerTlsError, serve, server_with_health};
pub use tls::TlsError;

use std::time::Duration;
use tonic::{Request, metadata::MetadataMap};

/// Metadata key of the client's address as the edge saw it.
pub const CLIENT_IP: &str = "x-client-ip";
/// Metadata key of the client's user agent.
pub const USER_AGENT: &str = "x-client-user-agent";

/// How long a call may take before the caller gives up with `UNAVAILABLE`-like errors.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest user-service message either way: an avatar upload (at most
/// [`astro_domain::input::AVATAR_MAX_BYTES`]) plus its envelope; tonic refuses above 4 MiB by default.
pub const AVATAR_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// The bearer token a request carries in its `authorization` metadata.
pub fn bearer(metadata: &MetadataMap) -> Option<&str> {
    metadata
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A copy of `message` carrying the caller's bearer token and client info.
pub fn forward<T>(message: T, from: &MetadataMap) -> Request<T> {
    let mut request = Request::new(message);
    for key in ["authorization", CLIENT_IP, USER_AGENT] {
        if let Some(value) = from.get(key) {
            request.metadata_mut().insert(key, value.clone());
        }
    }
    request
}

/// The client info the edge attached to a call.
pub fn client_info(metadata: &MetadataMap) -> (String, String) {
    let get = |key| {
        metadata
            .get(key)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    (get(CLIENT_IP), get(USER_AGENT))
}

/// The W3C trace id of the call (from its `traceparent` metadata), or a fresh one, so audit
/// records can be joined with traces.
pub fn trace_id(metadata: &MetadataMap) -> String {
    metadata
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split('-').nth(1))
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}
