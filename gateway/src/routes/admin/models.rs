//! The JSON and query shapes of `/api/admin`, with their OpenAPI schemas.
use crate::wording::ROLE_PATTERN;
use crate::{
    error::ApiError,
    json::{Fields, JsonBody, Secrecy::Public},
    models::{UserResponse, name},
};
use astro_domain::{Role, input};
use astro_platform::time;
use astro_proto::{
    admin::v1::{RecordedEvent, Stats},
    user::v1::User,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

fn is_role(value: &str) -> bool {
    Role::parse(value).is_some()
}

/// A role the body's pattern check has accepted, as the wire spells it.
pub fn wire_role(role: &str) -> i32 {
    Role::parse(role).map_or(0, Role::wire)
}

/// `ceil(total / per_page)`: 0 pages when nothing matches.
pub fn pages(total: u64, per_page: u32) -> u64 {
    total.div_ceil(u64::from(per_page.max(1)))
}

/// A page of users.
#[derive(Serialize, ToSchema)]
pub struct UserListResponse {
    pub users: Vec<UserResponse>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u64,
}

impl UserListResponse {
    pub fn new(users: Vec<User>, total: u64, page: u32, per_page: u32) -> Self {
        UserListResponse {
            users: users.into_iter().map(UserResponse::from).collect(),
            total,
            page,
            per_page,
            pages: pages(total, per_page),
        }
    }
}

/// User counts, and the email queue's, for the dashboard.
#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    pub total_users: u64,
    pub verified_users: u64,
    pub unverified_users: u64,
    pub admin_users: u64,
    /// Registered within the last 7 days.
    pub recent_registrations: u64,
    pub active_users: u64,
    pub disabled_users: u64,
    /// Emails waiting for delivery or a retry; null while the notification service is
    /// unreachable (likewise the next two).
    pub email_pending: Option<u64>,
    /// Emails delivered.
    pub email_sent: Option<u64>,
    /// Emails given up after `MAIL_MAX_ATTEMPTS` or refused for good: an operator's concern.
    pub email_dead: Option<u64>,
}

impl From<Stats> for StatsResponse {
    fn from(stats: Stats) -> Self {
        let s = stats.users.unwrap_or_default();
        let email = stats.email;
        StatsResponse {
            total_users: s.total_users,
            verified_users: s.verified_users,
            unverified_users: s.unverified_users,
            admin_users: s.admin_users,
            recent_registrations: s.recent_registrations,
            active_users: s.active_users,
            disabled_users: s.disabled_users,
            email_pending: email.map(|e| e.pending),
            email_sent: email.map(|e| e.sent),
            email_dead: email.map(|e| e.dead),
        }
    }
}

/// One audit-log entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEventResponse {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub action: String,
    pub actor_id: Option<i64>,
    pub target_id: Option<i64>,
    pub ip: String,
    pub user_agent: String,
    pub trace_id: String,
    /// What the event recorded: a JSON object when it was recorded as JSON, else the text.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl From<RecordedEvent> for AuditEventResponse {
    fn from(recorded: RecordedEvent) -> Self {
        let event = recorded.event.unwrap_or_default();
        let details = match event.details.as_str() {
            "" => Value::Null,
            text => serde_json::from_str(text).unwrap_or_else(|_| Value::String(event.details.clone())),
        };
        AuditEventResponse {
            id: recorded.id,
            at: recorded
                .at
                .map(|at| time::to_rfc3339(time::timestamp_to_datetime(&at)))
                .unwrap_or_default(),
            action: event.action,
            actor_id: event.actor_id,
            target_id: event.target_id,
            ip: event.ip,
            user_agent: event.user_agent,
            trace_id: event.trace_id,
            details,
        }
    }
}

/// A page of audit-log entries, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditLogResponse {
    pub events: Vec<AuditEventResponse>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u64,
}

/// An admin's edit of a user: only the fields given change.
#[derive(Default, serde::Deserialize, ToSchema)]
pub struct AdminUpdateUserRequest {
    #[schema(format = "email")]
    pub email: Option<String>,
    #[schema(min_length = 3, max_length = 100)]
    pub username: Option<String>,
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    #[schema(pattern = "^(user|admin)$")]
    pub role: Option<String>,
    pub is_verified: Option<bool>,
    pub is_active: Option<bool>,
}

impl AdminUpdateUserRequest {
    /// Unknown fields are ignored; `null` means "leave as is".
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let email = f.has("email").then(|| f.email("email"));
        let username = f
            .has("username")
            .then(|| f.string("username", input::USERNAME_MIN, input::MAX_FIELD, Public));
        if let Some(Err(err)) = username.as_deref().filter(|u| !u.is_empty()).map(input::username) {
            f.reject_rule("username", &err, Public);
        }
        let role = f.optional_string("role", input::MAX_FIELD, Public);
        if let Some(role) = &role {
            f.check_pattern("role", ROLE_PATTERN, is_role(role));
        }
        let form = AdminUpdateUserRequest {
            email,
            username,
            first_name: name(&mut f, "first_name"),
            last_name: name(&mut f, "last_name"),
            role,
            is_verified: f.optional_bool("is_verified"),
            is_active: f.optional_bool("is_active"),
        };
        f.finish(form)
    }
}

/// A new role.
#[derive(serde::Deserialize, ToSchema)]
pub struct RoleUpdateRequest {
    #[schema(pattern = "^(user|admin)$")]
    pub role: String,
}

impl RoleUpdateRequest {
    pub fn parse(body: &JsonBody) -> Result<Self, ApiError> {
        let mut f = Fields::new(body)?;
        let role = f.string("role", 0, usize::MAX, Public);
        if f.has("role") && body.0["role"].is_string() {
            f.check_pattern("role", ROLE_PATTERN, is_role(&role));
        }
        f.finish(RoleUpdateRequest { role })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_counts() {
        assert_eq!(pages(0, 20), 0);
        assert_eq!(pages(1, 20), 1);
        assert_eq!(pages(20, 20), 1);
        assert_eq!(pages(21, 20), 2);
        assert_eq!(pages(60, 20), 3);
    }
}
