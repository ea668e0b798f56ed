//! An OTLP/HTTP receiver (`POST /v1/traces`, protobuf) that keeps every span it is sent, so
//! the test can see which processes took part in one trace.
use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::post,
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::any_value::Value,
    resource::v1::Resource,
};
use prost::Message;
use std::{
    collections::BTreeSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::watch;

/// One received span, reduced to what the test checks.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub service: String,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
}

/// The spans received so far; clones share them. `arrivals` counts export requests, so a
/// waiter wakes on each one instead of polling.
#[derive(Clone)]
pub struct Receiver {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    arrivals: Arc<watch::Sender<u64>>,
}

impl Receiver {
    /// Serves on a free loopback port (for as long as the test's runtime lives); returns the
    /// receiver and its base URL, the `OTEL_EXPORTER_OTLP_ENDPOINT` of the processes.
    pub async fn start() -> (Receiver, String) {
        let receiver = Receiver {
            spans: Arc::default(),
            arrivals: Arc::new(watch::channel(0).0),
        };
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("binding the OTLP receiver");
        let address = listener.local_addr().expect("the receiver's address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, format!("http://{address}"))
    }

    /// The spans of `trace_id` received so far.
    pub fn trace(&self, trace_id: &str) -> Vec<ReceivedSpan> {
        let spans = self.spans.lock().expect("the span list");
        spans.iter().filter(|s| s.trace_id == trace_id).cloned().collect()
    }

    /// Waits until the spans of `trace_id` received so far satisfy `complete`, and returns
    /// them. Processes export in batches, a child often before its parent, so a test names
    /// the whole shape it expects rather than the first sign of it.
    pub async fn wait_for_trace(
        &self,
        trace_id: &str,
        deadline: Duration,
        complete: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let mut arrivals = self.arrivals.subscribe();
        let waited = tokio::time::timeout(deadline, async {
            loop {
                arrivals.borrow_and_update();
                let spans = self.trace(trace_id);
                if complete(&spans) {
                    return spans;
                }
                arrivals.changed().await.expect("the receiver lives");
            }
        })
        .await;
        waited.unwrap_or_else(|_| {
            let spans = self.trace(trace_id);
            panic!(
                "within {deadline:?}, trace {trace_id} did not complete; it reached {:?}: {spans:#?}",
                services(&spans)
            )
        })
    }
}

/// The distinct `service.name`s among `spans`.
pub fn services(spans: &[ReceivedSpan]) -> BTreeSet<&str> {
    spans.iter().map(|s| s.service.as_str()).collect()
}

async fn export(State(receiver): State<Receiver>, body: Bytes) -> impl IntoResponse {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return (StatusCode::BAD_REQUEST, Vec::new()).into_response();
    };
    let received = request.resource_spans.into_iter().flat_map(|resource_spans| {
        let service = service_name(resource_spans.resource.as_ref());
        resource_spans
            .scope_spans
            .into_iter()
            .flat_map(|scope| scope.spans)
            .map(move |span| ReceivedSpan {
                service: service.clone(),
                name: span.name,
                trace_id: hex::encode(span.trace_id),
                span_id: hex::encode(span.span_id),
                parent_span_id: hex::encode(span.parent_span_id),
            })
    });
    receiver.spans.lock().expect("the span list").extend(received);
    receiver.arrivals.send_modify(|n| *n += 1);
    let ok = ExportTraceServiceResponse::default().encode_to_vec();
    ([(header::CONTENT_TYPE, "application/x-protobuf")], ok).into_response()
}

fn service_name(resource: Option<&Resource>) -> String {
    resource
        .into_iter()
        .flat_map(|r| &r.attributes)
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(name) => Some(name.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
