//! `user.v1.UserService` over the repository.
//!
//! No caller token is checked here: only `auth`, `admin` and the gateway can reach this
//! service, which the network policy (private network / Kubernetes NetworkPolicy) enforces.
//! Those callers authorise the end user before they call.
use crate::{
    avatar::Avatars,
    error::UserError,
    repo::{ListQuery, NewUser, Role, Sort, Stats, UserChanges, UserRecord, UserRepo},
    validate,
};
use astro_domain::{Page, input::InputError};
use astro_platform::time::{micros_to_timestamp, now_micros};
use astro_proto::user::v1::{
    self as pb, CountAdminsRequest, CountAdminsResponse, CreateFirstAdminRequest, CreateFirstAdminResponse,
    CreateUserRequest, Credentials, DeleteUserResponse, GetCredentialsByEmailRequest, GetStatsRequest,
    GetUserRequest, ListUsersRequest, ListUsersResponse, SetMfaEnabledRequest, SetPasswordHashRequest,
    UpdateProfileRequest, UpdateUserRequest, user_service_server::UserService,
};
use astro_proto::user::v1::{AvatarBlob, GetAvatarRequest, SetAvatarRequest};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// How far back a registration counts as recent in the stats.
const RECENT_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

/// The gRPC service: parses requests, calls the repository, converts the answer.
#[derive(Clone)]
pub struct UserGrpc {
    repo: Arc<dyn UserRepo>,
    avatars: Avatars,
}

impl UserGrpc {
    pub fn new(repo: Arc<dyn UserRepo>, avatars: Avatars) -> Self {
        UserGrpc { repo, avatars }
    }

    /// The consumer API's directory over the same repository.
    pub fn directory(&self) -> crate::directory::Directory {
        crate::directory::Directory {
            repo: Arc::clone(&self.repo),
        }
    }

    /// The answer to a deletion, once the deleted user's avatar is gone from storage too.
    async fn deleted(&self, result: Result<UserRecord, UserError>) -> Reply<DeleteUserResponse> {
        let deleted = result?;
        self.avatars.forget(&deleted).await;
        Ok(Response::new(DeleteUserResponse {
            user: Some(user(deleted)),
        }))
    }
}

type Reply<T> = Result<Response<T>, Status>;

pub(crate) fn user(record: UserRecord) -> pb::User {
    pb::User {
        id: record.id,
        email: record.email,
        username: record.username,
        first_name: record.first_name,
        last_name: record.last_name,
        // Stored as `user` or `admin` (the column's CHECK constraint).
        role: Role::parse(&record.role).map_or(0, Role::wire),
        is_verified: record.is_verified,
        is_active: record.is_active,
        avatar_url: record.avatar_url,
        created_at: Some(micros_to_timestamp(record.created_at)),
        updated_at: Some(micros_to_timestamp(record.updated_at)),
        last_login_at: record.last_login_at.map(micros_to_timestamp),
        mfa_enabled: record.mfa_enabled,
    }
}

fn credentials(mut record: UserRecord) -> Credentials {
    let password_hash = std::mem::take(&mut record.password_hash);
    Credentials {
        user: Some(user(record)),
        password_hash,
    }
}

fn reply_user(result: Result<UserRecord, UserError>) -> Reply<pb::User> {
    Ok(Response::new(user(result?)))
}

fn list_query(req: ListUsersRequest) -> Result<ListQuery, UserError> {
    let page = Page::from_wire(req.page, req.per_page).map_err(|e| UserError::invalid("per_page", e))?;
    let sort = Sort::parse(&req.sort).ok_or(UserError::invalid("sort", InputError::NotAllowed))?;
    let role = req.role.map(validate::role).transpose()?;
    Ok(ListQuery {
        limit: page.limit(),
        offset: page.offset(),
        search: req.search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        role,
        is_verified: req.is_verified,
        is_active: req.is_active,
        sort,
    })
}

fn stats(stats: Stats) -> pb::Stats {
    pb::Stats {
        total_users: stats.total,
        verified_users: stats.verified,
        unverified_users: stats.unverified,
        admin_users: stats.admins,
        recent_registrations: stats.recent_registrations,
        active_users: stats.active,
        disabled_users: stats.disabled,
    }
}

#[tonic::async_trait]
impl UserService for UserGrpc {
    async fn create_user(&self, request: Request<CreateUserRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        let new = NewUser {
            email: validate::email(&req.email)?,
            username: validate::username(&req.username)?,
            password_hash: validate::password_hash(&req.password_hash)?,
            first_name: validate::optional_name("first_name", req.first_name.as_deref())?,
            last_name: validate::optional_name("last_name", req.last_name.as_deref())?,
            role: validate::role_or_default(req.role)?,
            is_verified: req.is_verified,
        };
        reply_user(self.repo.create(new).await)
    }

    async fn get_user(&self, request: Request<GetUserRequest>) -> Reply<pb::User> {
        reply_user(self.repo.get(request.into_inner().id).await)
    }

    async fn get_credentials_by_email(
        &self,
        request: Request<GetCredentialsByEmailRequest>,
    ) -> Reply<Credentials> {
        // A string that is not an email address cannot belong to any user.
        let email = validate::email(&request.into_inner().email).map_err(|_| UserError::NotFound)?;
        Ok(Response::new(credentials(self.repo.get_by_email(&email).await?)))
    }

    async fn get_credentials(&self, request: Request<GetUserRequest>) -> Reply<Credentials> {
        Ok(Response::new(credentials(
            self.repo.get(request.into_inner().id).await?,
        )))
    }

    async fn set_password_hash(&self, request: Request<SetPasswordHashRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        let hash = validate::password_hash(&req.password_hash)?;
        reply_user(
            self.repo
                .set_password_hash(req.id, &hash, req.expected_hash.as_deref())
                .await,
        )
    }

    async fn mark_verified(&self, request: Request<GetUserRequest>) -> Reply<pb::User> {
        reply_user(self.repo.mark_verified(request.into_inner().id).await)
    }

    async fn record_login(&self, request: Request<GetUserRequest>) -> Reply<pb::User> {
        reply_user(self.repo.record_login(request.into_inner().id).await)
    }

    async fn set_mfa_enabled(&self, request: Request<SetMfaEnabledRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        reply_user(self.repo.set_mfa_enabled(req.id, req.enabled).await)
    }

    async fn update_profile(&self, request: Request<UpdateProfileRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        let changes = UserChanges {
            first_name: req
                .first_name
                .map(|v| validate::name("first_name", &v))
                .transpose()?,
            last_name: req
                .last_name
                .map(|v| validate::name("last_name", &v))
                .transpose()?,
            ..UserChanges::default()
        };
        let avatar_url = req.avatar_url.map(|v| validate::avatar_url(&v)).transpose()?;
        // A URL of the user's own replaces any uploaded avatar, whose file must then go: an
        // avatar swap, not a plain column update.
        let swapped = match avatar_url {
            Some(url) => Some(self.avatars.set_url(&*self.repo, req.id, url.as_deref()).await?),
            None => None,
        };
        match swapped {
            Some(done) if changes.first_name.is_none() && changes.last_name.is_none() => reply_user(Ok(done)),
            _ => reply_user(self.repo.update(req.id, changes).await),
        }
    }

    async fn set_avatar(&self, request: Request<SetAvatarRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        reply_user(self.avatars.upload(&*self.repo, req.id, req.image).await)
    }

    async fn get_avatar(&self, request: Request<GetAvatarRequest>) -> Reply<AvatarBlob> {
        let blob = self.avatars.get(&request.into_inner().name).await?;
        Ok(Response::new(AvatarBlob {
            data: blob.data,
            content_type: blob.content_type.to_owned(),
        }))
    }

    async fn delete_user(&self, request: Request<GetUserRequest>) -> Reply<DeleteUserResponse> {
        self.deleted(self.repo.delete(request.into_inner().id).await)
            .await
    }

    async fn admin_delete_user(&self, request: Request<GetUserRequest>) -> Reply<DeleteUserResponse> {
        self.deleted(self.repo.delete_keeping_admin(request.into_inner().id).await)
            .await
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Reply<ListUsersResponse> {
        let query = list_query(request.into_inner())?;
        let (users, total) = self.repo.list(query).await?;
        let users = users.into_iter().map(user).collect();
        Ok(Response::new(ListUsersResponse { users, total }))
    }

    async fn update_user(&self, request: Request<UpdateUserRequest>) -> Reply<pb::User> {
        let req = request.into_inner();
        let changes = UserChanges {
            email: req.email.as_deref().map(validate::email).transpose()?,
            username: req.username.as_deref().map(validate::username).transpose()?,
            first_name: req
                .first_name
                .map(|v| validate::name("first_name", &v))
                .transpose()?,
            last_name: req
                .last_name
                .map(|v| validate::name("last_name", &v))
                .transpose()?,
            avatar_url: None,
            role: req.role.map(validate::role).transpose()?,
            is_verified: req.is_verified,
            is_active: req.is_active,
        };
        reply_user(self.repo.update(req.id, changes).await)
    }

    async fn get_stats(&self, _request: Request<GetStatsRequest>) -> Reply<pb::Stats> {
        let counts = self.repo.stats(now_micros() - RECENT_MICROS).await?;
        Ok(Response::new(stats(counts)))
    }

    async fn count_admins(&self, _request: Request<CountAdminsRequest>) -> Reply<CountAdminsResponse> {
        let admins = self.repo.count_admins().await?;
        Ok(Response::new(CountAdminsResponse { admins }))
    }

    async fn create_first_admin(
        &self,
        request: Request<CreateFirstAdminRequest>,
    ) -> Reply<CreateFirstAdminResponse> {
        let req = request.into_inner();
        let new = NewUser {
            email: validate::email(&req.email)?,
            username: validate::username(&req.username)?,
            password_hash: validate::password_hash(&req.password_hash)?,
            first_name: None,
            last_name: None,
            role: Role::Admin,
            is_verified: true,
        };
        let created = self.repo.create_unless_admin_exists(new).await?;
        Ok(Response::new(CreateFirstAdminResponse {
            created: created.map(user),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_limits() {
        let q = list_query(ListUsersRequest::default()).unwrap();
        assert_eq!((q.limit, q.offset), (20, 0));
        let q = list_query(ListUsersRequest {
            page: 3,
            per_page: 10,
            ..Default::default()
        })
        .unwrap();
        assert_eq!((q.limit, q.offset), (10, 20));
        assert!(
            list_query(ListUsersRequest {
                per_page: 101,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            list_query(ListUsersRequest {
                sort: "password_hash".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            list_query(ListUsersRequest {
                sort: "-".into(),
                ..Default::default()
            })
            .is_err()
        );
    }
}
