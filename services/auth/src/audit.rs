//! Security events (logins, logouts, password changes and resets, refresh-token reuse, account
//! deletion) sent to the admin service's audit log. Recording is best effort and off the
//! request path: an unreachable admin service is logged, never turned into a failed login.
use astro_platform::{
    dependency::ServiceChannel,
    grpc::{client_info, trace_id},
};
use astro_proto::admin::v1::{AuditEvent, admin_service_client::AdminServiceClient};
use tokio::sync::mpsc;
use tonic::metadata::MetadataMap;

/// Who is asking, as the edge saw it, and the trace the call belongs to.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub ip: String,
    pub user_agent: String,
    pub trace_id: String,
}

impl RequestContext {
    pub fn from_metadata(metadata: &MetadataMap) -> Self {
        let (ip, user_agent) = client_info(metadata);
        RequestContext {
            ip,
            user_agent,
            trace_id: trace_id(metadata),
        }
    }
}

/// Events waiting to be sent; beyond this many (the admin service down or slow for a long
/// time) new ones are dropped and counted in `audit_events_lost_total`.
const QUEUE: usize = 10_000;

/// Sends events to the admin service one at a time, in the order they were recorded: a
/// deletion's `account_deleted` (which anonymises the user's events) must not overtake the
/// user's earlier events, or those would arrive after it and keep the user's id.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<AuditEvent>,
}

impl AuditLog {
    /// Starts the sending task (on the current Tokio runtime); it ends when every `AuditLog`
    /// clone is dropped and the queue is empty.
    pub fn new(admin: AdminServiceClient<ServiceChannel>) -> Self {
        let (queue, events) = mpsc::channel(QUEUE);
        tokio::spawn(send_in_order(admin, events));
        Self { queue }
    }

    /// Records `action` in the background.
    pub fn record(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        actor_id: Option<i64>,
        target_id: Option<i64>,
        details: serde_json::Value,
    ) {
        let event = AuditEvent {
            action: action.to_owned(),
            actor_id,
            target_id,
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
            trace_id: ctx.trace_id.clone(),
            details: details.to_string(),
        };
        if self.queue.try_send(event).is_err() {
            metrics::counter!("audit_events_lost_total").increment(1);
        }
    }
}

async fn send_in_order(
    mut admin: AdminServiceClient<ServiceChannel>,
    mut events: mpsc::Receiver<AuditEvent>,
) {
    while let Some(event) = events.recv().await {
        let action = event.action.clone();
        if let Err(status) = admin.record_event(event).await {
            metrics::counter!("audit_events_lost_total").increment(1);
            // An admin service that is down is logged by the channel, rate-limited: one line
            // per lost event would flood the log at the rate of logins.
            if !astro_platform::dependency::is_failure(&status) {
                tracing::warn!(action, error = %status, "could not record an audit event");
            }
        }
    }
}
