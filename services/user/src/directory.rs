//! `user.v1.UserDirectory`: the consumer API's read of users for other internal services,
//! public fields only (the `User` message carries no credentials).
use crate::{error::UserError, grpc::user, repo::UserRepo};
use astro_domain::input::InputError;
use astro_proto::user::v1::{
    self as pb, BatchGetUsersRequest, BatchGetUsersResponse, GetUserRequest,
    user_directory_server::UserDirectory,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Most ids one `BatchGetUsers` may ask for.
pub const MAX_BATCH: usize = 100;

#[derive(Clone)]
pub struct Directory {
    pub repo: Arc<dyn UserRepo>,
}

#[tonic::async_trait]
impl UserDirectory for Directory {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let record = self.repo.get(request.into_inner().id).await?;
        Ok(Response::new(user(record)))
    }

    async fn batch_get_users(
        &self,
        request: Request<BatchGetUsersRequest>,
    ) -> Result<Response<BatchGetUsersResponse>, Status> {
        let ids = request.into_inner().ids;
        if ids.len() > MAX_BATCH {
            return Err(UserError::invalid("ids", InputError::TooLong(MAX_BATCH)).into());
        }
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            match self.repo.get(id).await {
                Ok(record) => users.push(user(record)),
                Err(UserError::NotFound) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Response::new(BatchGetUsersResponse { users }))
    }
}
