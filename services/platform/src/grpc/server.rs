//! The server side of the plane: one builder every service starts from, and the serve loop.
use super::{
    CALL_TIMEOUT,
    access::{AccessLayer, AccessTable},
    in_process::DirectService,
    plane::{Listener, ListenerKind},
};
use std::convert::Infallible;
use tokio_stream::{StreamExt as _, wrappers::TcpListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::{
    body::Body,
    server::NamedService,
    service::{Routes, RoutesBuilder},
    transport::Server,
};
use tonic_health::server::HealthReporter;

#[derive(Debug, thiserror::Error)]
#[error("invalid gRPC server TLS configuration: {0}")]
pub struct ServerTlsError(#[from] tonic::transport::Error);

/// A service's gRPC routes and how to serve them: over TCP (tonic's server, with TLS when the
/// listener has it), or called in place in one process. Both wrap the routes in the same
/// layers: the call's span (continuing the caller's trace), metrics, the allow-list.
pub struct GrpcRouter {
    routes: RoutesBuilder,
    /// TLS already applied, for the TCP case.
    server: Server,
    access: AccessLayer,
}

impl GrpcRouter {
    /// Adds a service to the routes.
    #[must_use]
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.routes.add_service(service);
        self
    }
}

/// A server builder for `listener`, already serving health (reported SERVING for
/// `service_name`) and reflection, that continues the caller's trace, counts every call in
/// the metrics and, on a mutual-TLS listener, refuses callers that `access` does not list.
pub async fn server_with_health(
    service_name: &str,
    access: &'static [&'static AccessTable],
    listener: &Listener,
) -> Result<(GrpcRouter, HealthReporter), ServerTlsError> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(service_name, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(astro_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor sets are valid");
    let mut server = Server::builder();
    if let Some(tls) = listener.tls() {
        server = server.tls_config(tls.clone())?;
    }
    let router = GrpcRouter {
        routes: RoutesBuilder::default(),
        server,
        access: listener.access(access),
    };
    Ok((router.add_service(health).add_service(reflection), reporter))
}

/// The span of one served call, a child of the caller's span when the call carries its trace
/// context.
fn call_span<B>(request: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %request.uri().path(),
        rpc.system = "grpc",
        trace_id = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, request.headers());
    span
}

/// Serves `router` on `listener` until `shutdown` is cancelled, draining in-flight calls.
pub async fn serve(
    router: GrpcRouter,
    listener: Listener,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let GrpcRouter {
        routes,
        server,
        access,
    } = router;
    let routes = routes.routes().prepare();
    match listener.0 {
        ListenerKind::Tcp { listener, .. } => {
            // Tonic sets TCP_NODELAY only on sockets it accepts itself; without it, replies
            // wait for the caller's delayed ACK (40 ms) whenever a response needs a second write.
            let incoming = TcpListenerStream::new(listener).map(|stream| {
                let stream = stream?;
                stream.set_nodelay(true)?;
                Ok::<_, std::io::Error>(stream)
            });
            server
                .timeout(CALL_TIMEOUT)
                .trace_fn(call_span)
                // Outermost first: refused calls are counted too.
                .layer(CallMetricsLayer)
                .layer(access)
                .add_routes(routes)
                .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
                .await
        }
        ListenerKind::InProcess(slot) => {
            // In process every caller is the platform itself (the allow-list is not enforced)
            // and the caller bounds the call's time.
            slot.serve(direct(routes), shutdown.cancelled_owned()).await;
            Ok(())
        }
    }
}

/// The in-process stack: the same span and metrics around the routes as tonic's server puts.
fn direct(routes: Routes) -> DirectService {
    let stack = CallMetrics(routes);
    DirectService::new(tower::service_fn(move |request: http::Request<Body>| {
        use tower::ServiceExt as _;
        use tracing::Instrument as _;
        let span = call_span(&request);
        stack.clone().oneshot(request).instrument(span)
    }))
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
