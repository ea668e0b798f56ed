//! Security events (logins, logouts, password changes and resets, refresh-token reuse, account
//! deletion) sent to the admin service's audit log. Recording is best effort and off the
//! request path: an unreachable admin service is logged, never turned into a failed login.
use astro_common::grpc::GrpcChannel;
use astro_common::grpc::{client_info, trace_id};
use astro_proto::admin::v1::{AuditEvent, admin_service_client::AdminServiceClient};
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

#[derive(Clone)]
pub struct AuditLog {
    admin: AdminServiceClient<GrpcChannel>,
}

impl AuditLog {
    pub fn new(admin: AdminServiceClient<GrpcChannel>) -> Self {
        Self { admin }
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
        let mut admin = self.admin.clone();
        tokio::spawn(async move {
            if let Err(status) = admin.record_event(event).await {
                tracing::warn!(action, error = %status, "could not record an audit event");
            }
        });
    }
}
