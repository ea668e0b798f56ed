//! The admin's changes to users, with their rules: nobody deletes, demotes or disables
//! themself; the last admin is never removed (the user service checks that atomically with the
//! write); a role change, a disable and a delete end every session of the user at once; and
//! each change is recorded in the audit log.
use crate::{
    error::AdminError,
    service::{Actor, Admin},
};
use astro_domain::{Role, input::InputError, reason::Reason};
use astro_platform::grpc::forward;
use astro_proto::{
    auth::v1::{PurgeUserRequest, RevokeUserSessionsRequest},
    user::v1::{GetUserRequest, UpdateUserRequest, User},
};
use serde_json::{Map, Value, json};
use tonic::metadata::MetadataMap;

/// Audit actions of the admin service.
pub const USER_UPDATED: &str = "admin.user_updated";
pub const USER_DELETED: &str = "admin.user_deleted";
pub const ROLE_CHANGED: &str = "admin.role_changed";

impl Admin {
    /// Applies an admin edit; the fields that are set change.
    pub async fn update_user(
        &self,
        actor: &Actor,
        request: UpdateUserRequest,
        metadata: &MetadataMap,
    ) -> Result<User, AdminError> {
        if request.id == actor.id {
            if request.is_active == Some(false) {
                return Err(AdminError::Refused(Reason::OwnDisable));
            }
            if request
                .role
                .is_some_and(|role| Role::from_wire(role) != Some(Role::Admin))
            {
                return Err(AdminError::Refused(Reason::OwnRole));
            }
        }
        let changes = changed_fields(&request);
        let (_, after) = self.apply(request, metadata).await?;
        self.record(actor, USER_UPDATED, after.id, json!({ "changes": changes }))
            .await;
        Ok(after)
    }

    /// Sets a user's role (`user` or `admin`).
    pub async fn change_role(
        &self,
        actor: &Actor,
        id: i64,
        role: i32,
        metadata: &MetadataMap,
    ) -> Result<User, AdminError> {
        let role = Role::from_wire(role).ok_or(AdminError::invalid("role", InputError::NotAllowed))?;
        if id == actor.id {
            return Err(AdminError::Refused(Reason::OwnRole));
        }
        let request = UpdateUserRequest {
            id,
            role: Some(role.wire()),
            ..UpdateUserRequest::default()
        };
        let (before, after) = self.apply(request, metadata).await?;
        let details = json!({ "from": role_name(before.role), "to": role_name(after.role) });
        self.record(actor, ROLE_CHANGED, id, details).await;
        Ok(after)
    }

    /// Writes an edit (the user service refuses to remove the last admin) and ends the user's
    /// sessions when their rights changed. Returns the user before and after.
    async fn apply(
        &self,
        request: UpdateUserRequest,
        metadata: &MetadataMap,
    ) -> Result<(User, User), AdminError> {
        let before = self.user(request.id).await?;
        let updated = self.users.clone().update_user(request).await;
        let after = updated.map_err(AdminError::Downstream)?.into_inner();
        self.end_sessions_if_rights_changed(&before, &after, metadata)
            .await?;
        Ok((before, after))
    }

    /// Deletes a user, then their sessions, tokens and queued mail in `auth`.
    pub async fn delete_user(
        &self,
        actor: &Actor,
        id: i64,
        metadata: &MetadataMap,
    ) -> Result<User, AdminError> {
        if id == actor.id {
            return Err(AdminError::Refused(Reason::OwnDelete));
        }
        let deleted = self
            .users
            .clone()
            .admin_delete_user(GetUserRequest { id })
            .await
            .map_err(AdminError::Downstream)?
            .into_inner()
            .user
            .unwrap_or_default();
        let purge = PurgeUserRequest {
            user_id: id,
            email: deleted.email.clone(),
        };
        self.auth
            .clone()
            .purge_user(forward(purge, metadata))
            .await
            .map_err(AdminError::Downstream)?;
        self.record_deletion(actor, USER_DELETED, id).await;
        Ok(deleted)
    }

    /// Ends every session of the user when the change took admin rights or access away (or
    /// granted them: old tokens should not outlive any role change). Access tokens vouch for
    /// admin rights ([`astro_security::tokens::Claims::adm`]) on this promise.
    async fn end_sessions_if_rights_changed(
        &self,
        before: &User,
        after: &User,
        metadata: &MetadataMap,
    ) -> Result<(), AdminError> {
        let disabled = before.is_active && !after.is_active;
        let unverified = before.is_verified && !after.is_verified;
        if before.role == after.role && !disabled && !unverified {
            return Ok(());
        }
        let request = RevokeUserSessionsRequest { user_id: after.id };
        self.auth
            .clone()
            .revoke_user_sessions(forward(request, metadata))
            .await
            .map_err(AdminError::Downstream)?;
        Ok(())
    }
}

/// The fields an edit sets, with their new values, for the audit log.
fn changed_fields(request: &UpdateUserRequest) -> Map<String, Value> {
    let mut changes = Map::new();
    let text = [
        ("email", &request.email),
        ("username", &request.username),
        ("first_name", &request.first_name),
        ("last_name", &request.last_name),
    ];
    for (name, value) in text {
        if let Some(value) = value {
            changes.insert(name.into(), json!(value));
        }
    }
    if let Some(role) = request.role {
        changes.insert("role".into(), json!(role_name(role)));
    }
    for (name, value) in [
        ("is_verified", request.is_verified),
        ("is_active", request.is_active),
    ] {
        if let Some(value) = value {
            changes.insert(name.into(), json!(value));
        }
    }
    changes
}

/// A wire role as the audit log spells it (`user`, `admin`; empty for none).
fn role_name(role: i32) -> &'static str {
    Role::from_wire(role).map_or("", Role::as_str)
}
