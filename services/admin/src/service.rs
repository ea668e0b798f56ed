//! What the admin use cases share: the clients of `user`, `auth` and `notification`, the token checks, the
//! audit log; and the two steps every admin call starts and ends with: who is calling (re-checked
//! against the user service each time) and what they did (recorded).
use crate::{
    audit::{AuditRepo, EventFilter, StoredEvent},
    error::AdminError,
};
use astro_domain::{Role, input::InputError, reason::Reason};
use astro_platform::{
    dependency::ServiceChannel,
    grpc::{client_info, trace_id},
    time::now_micros,
};
use astro_proto::{
    admin::v1::AuditEvent,
    auth::v1::auth_service_client::AuthServiceClient,
    notification::v1::notification_service_client::NotificationServiceClient,
    user::v1::{GetUserRequest, User, user_service_client::UserServiceClient},
};
use astro_security::{authenticate, revocation::RevocationStore, tokens::TokenKeys};
use std::sync::Arc;
use tonic::{Code, metadata::MetadataMap};

/// The admin service's state; cheap to clone (all handles).
#[derive(Clone)]
pub struct Admin {
    pub(crate) users: UserServiceClient<ServiceChannel>,
    pub(crate) auth: AuthServiceClient<ServiceChannel>,
    /// For the email queue counts in the statistics.
    pub(crate) notifications: NotificationServiceClient<ServiceChannel>,
    pub(crate) keys: Arc<TokenKeys>,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) audit: Arc<dyn AuditRepo>,
}

/// The admin making a call, and where the call came from (for the audit log).
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub ip: String,
    pub user_agent: String,
    pub trace_id: String,
}

impl Admin {
    /// Authenticates the caller's bearer token and checks that they are an active, verified
    /// admin: from the token when it vouches for that (every change of those rights revokes
    /// it), otherwise by asking the user service, whose answer also says what is missing.
    pub async fn actor(&self, metadata: &MetadataMap) -> Result<Actor, AdminError> {
        let claims = authenticate(metadata, &self.keys, self.revocations.as_ref())
            .await
            .map_err(AdminError::Status)?;
        const INVALID: AdminError = AdminError::Refused(Reason::InvalidToken);
        let id = claims.user_id().map_err(|_| INVALID)?;
        if !claims.adm {
            self.check_admin_rights(id).await?;
        }
        let (ip, user_agent) = client_info(metadata);
        Ok(Actor {
            id,
            ip,
            user_agent,
            trace_id: trace_id(metadata),
        })
    }

    /// Whether user `id` is an active, verified admin now, and if not, what they lack.
    async fn check_admin_rights(&self, id: i64) -> Result<(), AdminError> {
        const INVALID: AdminError = AdminError::Refused(Reason::InvalidToken);
        let user = self.user(id).await.map_err(|err| match err {
            AdminError::NotFound => INVALID,
            other => other,
        })?;
        if !user.is_active {
            return Err(AdminError::Refused(Reason::AccountDisabled));
        }
        if !user.is_verified {
            return Err(AdminError::Refused(Reason::EmailNotVerified));
        }
        if Role::from_wire(user.role) != Some(Role::Admin) {
            return Err(AdminError::Refused(Reason::NotAdmin));
        }
        Ok(())
    }

    /// The user `id`, or [`AdminError::NotFound`].
    pub async fn user(&self, id: i64) -> Result<User, AdminError> {
        match self.users.clone().get_user(GetUserRequest { id }).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) if status.code() == Code::NotFound => Err(AdminError::NotFound),
            Err(status) => Err(AdminError::Downstream(status)),
        }
    }

    /// Records what `actor` did to `target`. The action has already happened, so a failure
    /// to record is logged loudly rather than reported as a failure of the action.
    pub async fn record(&self, actor: &Actor, action: &str, target: i64, details: serde_json::Value) {
        self.store(&event(actor, action, target, details)).await;
    }

    /// Records that `actor` deleted user `target`, after forgetting the target in the log
    /// and already anonymised by the same rules: whoever sees the deletion in the log never
    /// sees the user's earlier events still naming them.
    pub async fn record_deletion(&self, actor: &Actor, action: &str, target: i64) {
        self.forget_in_audit_log(target).await;
        let mut event = event(actor, action, target, serde_json::json!({}));
        anonymise(&mut event, target);
        self.store(&event).await;
    }

    async fn store(&self, event: &AuditEvent) {
        if let Err(err) = self.audit.record(now_micros(), event).await {
            tracing::error!(error = %err, action = event.action, actor = ?event.actor_id, target = ?event.target_id, "audit event lost");
        }
    }

    /// Stores another service's event as it is, filling in the trace id when it has none.
    pub async fn record_event(
        &self,
        mut event: AuditEvent,
        metadata: &MetadataMap,
    ) -> Result<i64, AdminError> {
        event.action = event.action.trim().to_owned();
        if event.action.is_empty() || event.action.chars().count() > MAX_ACTION {
            let error = if event.action.is_empty() {
                InputError::TooShort(1)
            } else {
                InputError::TooLong(MAX_ACTION)
            };
            return Err(AdminError::invalid("action", error));
        }
        if event.trace_id.is_empty() {
            event.trace_id = trace_id(metadata);
        }
        // Bounded, so a misbehaving caller cannot bloat the log; truncation keeps the event.
        for (field, max) in [
            (&mut event.ip, 64),
            (&mut event.user_agent, 512),
            (&mut event.trace_id, 64),
            (&mut event.details, 16 * 1024),
        ] {
            if field.chars().count() > max {
                *field = field.chars().take(max).collect();
            }
        }
        if event.action == ACCOUNT_DELETED
            && let Some(user_id) = event.target_id
        {
            // Forget first, then store the deletion already anonymised: whoever sees the
            // deletion in the log never sees the user's earlier events still naming them.
            self.forget_in_audit_log(user_id).await;
            anonymise(&mut event, user_id);
        }
        Ok(self.audit.record(now_micros(), &event).await?)
    }

    /// Nothing of a deleted user stays: their audit events are anonymised (best effort: the
    /// deletion has happened; a failure here is logged, not returned).
    pub async fn forget_in_audit_log(&self, user_id: i64) {
        if let Err(err) = self.audit.forget_user(user_id).await {
            tracing::error!(user_id, error = %err, "could not anonymise a deleted user's audit events");
        }
    }

    pub async fn audit_log(&self, filter: &EventFilter) -> Result<(Vec<StoredEvent>, u64), AdminError> {
        Ok(self.audit.list(filter).await?)
    }
}

/// The event of `actor` doing `action` to `target`.
fn event(actor: &Actor, action: &str, target: i64, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        action: action.to_owned(),
        actor_id: Some(actor.id),
        target_id: Some(target),
        ip: actor.ip.clone(),
        user_agent: actor.user_agent.clone(),
        trace_id: actor.trace_id.clone(),
        details: details.to_string(),
    }
}

/// What `forget_user` does to a stored event of `user_id`, done to one event before it is
/// stored.
fn anonymise(event: &mut AuditEvent, user_id: i64) {
    if event.actor_id == Some(user_id) {
        event.actor_id = None;
        event.ip.clear();
        event.user_agent.clear();
    }
    if event.target_id == Some(user_id) {
        event.target_id = None;
    }
    event.details = "{}".to_owned();
}

/// The event `auth` records when a user deletes their own account.
pub const ACCOUNT_DELETED: &str = "account_deleted";

/// Longest accepted action name.
pub const MAX_ACTION: usize = 100;
