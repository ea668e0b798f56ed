//! Prometheus metrics: one recorder per process (shared by every service in the one-process
//! binary), rendered by the gateway's `/metrics` and by each service process's metrics port.
use crate::{config::ProcessSettings, grpc::Peer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Instant};
use tokio_util::sync::CancellationToken;

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
            .expect("the bucket list is not empty")
            .install_recorder()
            .expect("installing the Prometheus recorder once per process")
    })
}

/// The metrics in Prometheus text format.
pub fn render() -> String {
    handle().render()
}

/// Serves `GET /metrics` for a service process until `shutdown`, at `METRICS_ADDR` or the
/// service's default. The port is bound before this returns, so a clash is reported at start;
/// the service runs on without metrics then (they are not worth an outage), saying so.
pub async fn spawn_endpoint(process: &ProcessSettings, service: Peer, shutdown: CancellationToken) {
    handle();
    let addr = process.metrics_addr.unwrap_or(service.default_metrics_addr());
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(
                %addr, error = %err,
                "metrics cannot be served: binding METRICS_ADDR failed; the service runs without them"
            );
            return;
        }
    };
    tracing::info!(%addr, "{service} metrics at /metrics");
    let app = axum::Router::new().route("/metrics", axum::routing::get(|| async { render() }));
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::error!(%addr, error = %err, "metrics endpoint failed");
        }
    });
}

/// Counts a finished gRPC call and its latency (`grpc_server_requests_total`,
/// `grpc_server_request_duration_seconds`) by method and status code.
pub fn record_grpc_call(method: &str, code: &str, started: Instant) {
    let labels = [("method", method.to_owned()), ("code", code.to_owned())];
    ::metrics::counter!("grpc_server_requests_total", &labels).increment(1);
    ::metrics::histogram!("grpc_server_request_duration_seconds", &labels[..1])
        .record(started.elapsed().as_secs_f64());
}
