//! `admin.v1.AdminService` over the use cases: every call but `RecordEvent` starts by
//! establishing the [`Actor`](crate::service::Actor).
use crate::{audit::EventFilter, error::AdminError, service::Admin};
use astro_domain::Page;
use astro_platform::time::{micros_to_timestamp, timestamp_to_datetime};
use astro_proto::{
    Timestamp,
    admin::v1::{
        AuditEvent, ChangeRoleRequest, DeleteUserResponse, ListAuditLogRequest, ListAuditLogResponse,
        RecordEventResponse, RecordedEvent, Stats, UserIdRequest, admin_service_server::AdminService,
    },
    user::v1::{GetStatsRequest, ListUsersRequest, ListUsersResponse, UpdateUserRequest, User},
};
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

fn downstream<T>(result: Result<Response<T>, Status>) -> Reply<T> {
    result.map_err(|status| AdminError::Downstream(status).into())
}

fn micros(ts: &Timestamp) -> i64 {
    timestamp_to_datetime(ts).timestamp_micros()
}

/// The page the caller asked for, with the defaults and limits of the HTTP contract.
fn audit_filter(req: ListAuditLogRequest) -> Result<EventFilter, AdminError> {
    let page = Page::from_wire(req.page, req.per_page).map_err(|e| AdminError::invalid("per_page", e))?;
    Ok(EventFilter {
        user_id: req.user_id,
        action: req.action.filter(|a| !a.is_empty()),
        since: req.since.as_ref().map(micros),
        until: req.until.as_ref().map(micros),
        limit: page.limit(),
        offset: page.offset(),
    })
}

#[tonic::async_trait]
impl AdminService for Admin {
    async fn list_users(&self, request: Request<ListUsersRequest>) -> Reply<ListUsersResponse> {
        self.actor(request.metadata()).await?;
        downstream(self.users.clone().list_users(request.into_inner()).await)
    }

    async fn get_user(&self, request: Request<UserIdRequest>) -> Reply<User> {
        self.actor(request.metadata()).await?;
        Ok(Response::new(self.user(request.into_inner().id).await?))
    }

    async fn update_user(&self, request: Request<UpdateUserRequest>) -> Reply<User> {
        let actor = self.actor(request.metadata()).await?;
        let (metadata, _, message) = request.into_parts();
        Ok(Response::new(
            Admin::update_user(self, &actor, message, &metadata).await?,
        ))
    }

    async fn delete_user(&self, request: Request<UserIdRequest>) -> Reply<DeleteUserResponse> {
        let actor = self.actor(request.metadata()).await?;
        let (metadata, _, message) = request.into_parts();
        let user = Admin::delete_user(self, &actor, message.id, &metadata).await?;
        Ok(Response::new(DeleteUserResponse { user: Some(user) }))
    }

    async fn change_role(&self, request: Request<ChangeRoleRequest>) -> Reply<User> {
        let actor = self.actor(request.metadata()).await?;
        let (metadata, _, message) = request.into_parts();
        let user = Admin::change_role(self, &actor, message.id, message.role, &metadata).await?;
        Ok(Response::new(user))
    }

    async fn get_stats(&self, request: Request<GetStatsRequest>) -> Reply<Stats> {
        self.actor(request.metadata()).await?;
        Ok(Response::new(self.stats().await?))
    }

    async fn list_audit_log(&self, request: Request<ListAuditLogRequest>) -> Reply<ListAuditLogResponse> {
        self.actor(request.metadata()).await?;
        let filter = audit_filter(request.into_inner())?;
        let (events, total) = self.audit_log(&filter).await?;
        let events = events
            .into_iter()
            .map(|stored| RecordedEvent {
                id: stored.id,
                at: Some(micros_to_timestamp(stored.at)),
                event: Some(stored.event),
            })
            .collect();
        Ok(Response::new(ListAuditLogResponse { events, total }))
    }

    async fn record_event(&self, request: Request<AuditEvent>) -> Reply<RecordEventResponse> {
        // Service-to-service only (the network policy keeps clients out), so no caller token:
        // failed logins, which have none, are recorded too.
        let (metadata, _, event) = request.into_parts();
        let id = self.record_event(event, &metadata).await?;
        Ok(Response::new(RecordEventResponse { id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_paging_defaults_and_limits() {
        let filter = audit_filter(ListAuditLogRequest::default()).unwrap();
        assert_eq!((filter.limit, filter.offset), (20, 0));
        let filter = audit_filter(ListAuditLogRequest {
            page: 3,
            per_page: 10,
            ..Default::default()
        })
        .unwrap();
        assert_eq!((filter.limit, filter.offset), (10, 20));
        assert!(
            audit_filter(ListAuditLogRequest {
                per_page: 101,
                ..Default::default()
            })
            .is_err()
        );
    }
}
