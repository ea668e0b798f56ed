//! gRPC plumbing every service shares: a server with `grpc.health.v1` and reflection that stops
//! on a cancellation token, lazy client channels that reconnect by themselves, and the
//! metadata that carries the caller's bearer token and client info across hops.
use crate::{
    revocation::RevocationStore,
    tokens::{Claims, TokenError, TokenKeys, TokenKind},
};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::{StreamExt as _, wrappers::TcpListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::{
    Request, Status,
    metadata::MetadataMap,
    service::interceptor::InterceptedService,
    transport::{Channel, Endpoint, Server, server::Router},
};
use tonic_health::server::HealthReporter;

/// Metadata key of the client's address as the edge saw it.
pub const CLIENT_IP: &str = "x-client-ip";
/// Metadata key of the client's user agent.
pub const USER_AGENT: &str = "x-client-user-agent";
/// Metadata key naming the request field an `INVALID_ARGUMENT` status is about; the gateway
/// turns such a status into a 422 on that field.
pub const VALIDATION_FIELD: &str = "x-validation-field";

/// How long a call may take before the caller gives up with `UNAVAILABLE`-like errors.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest user-service message either way: an avatar upload (at most
/// [`crate::input::AVATAR_MAX_BYTES`]) plus its envelope; tonic refuses above 4 MiB by default.
pub const AVATAR_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// A server builder already serving health (reported SERVING for `service_name`) and
/// reflection, that continues the caller's trace and counts every call in the metrics.
pub async fn server_with_health(service_name: &str) -> (GrpcRouter, HealthReporter) {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(service_name, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(astro_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor sets are valid");
    let router = Server::builder()
        .timeout(CALL_TIMEOUT)
        .trace_fn(|request| {
            let span = tracing::info_span!(
                "grpc.server",
                otel.name = %request.uri().path(),
                rpc.system = "grpc",
                trace_id = tracing::field::Empty,
            );
            crate::telemetry::continue_trace(&span, request.headers());
            span
        })
        .layer(CallMetricsLayer)
        .add_service(health)
        .add_service(reflection);
    (router, reporter)
}

/// The router type every service builds on.
pub type GrpcRouter = Router<tower::layer::util::Stack<CallMetricsLayer, tower::layer::util::Identity>>;

/// Serves `router` on `listener` until `shutdown` is cancelled, draining in-flight calls.
pub async fn serve(
    router: GrpcRouter,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    // Tonic sets TCP_NODELAY only on sockets it accepts itself; without it, replies wait for
    // the caller's delayed ACK (40 ms) whenever a response needs a second write.
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        let stream = stream?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    });
    router
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}

/// Wraps a service in [`CallMetrics`].
#[derive(Clone, Copy, Debug)]
pub struct CallMetricsLayer;

impl<S> tower::Layer<S> for CallMetricsLayer {
    type Service = CallMetrics<S>;

    fn layer(&self, inner: S) -> CallMetrics<S> {
        CallMetrics(inner)
    }
}

/// Counts each call by method and gRPC status (from the response headers: errors are
/// "trailers-only" responses; a success has no status header yet and counts as `OK`).
#[derive(Clone)]
pub struct CallMetrics<S>(S);

impl<S, B, R> tower::Service<http::Request<B>> for CallMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let started = std::time::Instant::now();
        let future = self.0.call(request);
        Box::pin(async move {
            let response = future.await;
            let code = match &response {
                Ok(r) => r
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .map_or("0", |c| c)
                    .to_owned(),
                Err(_) => "transport".to_owned(),
            };
            crate::metrics::record_grpc_call(&method, &code, started);
            response
        })
    }
}

/// Puts the caller's W3C trace context into every outgoing call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracePropagation;

impl tonic::service::Interceptor for TracePropagation {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        crate::telemetry::inject_current(request.metadata_mut());
        Ok(request)
    }
}

/// The channel type of every gRPC client: reconnecting, trace-propagating.
pub type GrpcChannel = InterceptedService<Channel, TracePropagation>;

#[derive(Debug, thiserror::Error)]
#[error("invalid service URL {url}: {source}")]
pub struct BadServiceUrl {
    url: String,
    source: tonic::transport::Error,
}

/// A channel that connects on first use and reconnects after the peer restarts, so a
/// restarted service is picked up without restarting its callers.
pub fn lazy_channel(url: &str) -> Result<GrpcChannel, BadServiceUrl> {
    let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|source| BadServiceUrl {
        url: url.to_owned(),
        source,
    })?;
    let channel = endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(InterceptedService::new(channel, TracePropagation))
}

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

/// The verified access-token claims of the caller: the same check the gateway makes, repeated
/// in each service so none trusts the network alone.
pub async fn authenticate(
    metadata: &MetadataMap,
    keys: &TokenKeys,
    revocations: &dyn RevocationStore,
) -> Result<Claims, Status> {
    let token = bearer(metadata).ok_or_else(|| Status::unauthenticated("Not authenticated"))?;
    let claims = keys
        .verify(TokenKind::Access, token)
        .map_err(|_: TokenError| Status::unauthenticated("Could not validate credentials"))?;
    match revocations.is_revoked(&claims).await {
        Ok(false) => Ok(claims),
        Ok(true) => Err(Status::unauthenticated("Token has been invalidated")),
        Err(_) => Err(Status::unavailable("Service temporarily unavailable")),
    }
}

/// An `INVALID_ARGUMENT` about one request field (the gateway answers 422 on that field).
pub fn field_error(field: &'static str, message: impl Into<String>) -> Status {
    let mut status = Status::invalid_argument(message);
    status.metadata_mut().insert(
        VALIDATION_FIELD,
        tonic::metadata::MetadataValue::from_static(field),
    );
    status
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
