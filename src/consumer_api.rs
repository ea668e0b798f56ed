//! The one-process binary's consumer API (`INTERNAL_GRPC_ADDR`): the services speak only in
//! process, so other internal services reach `TokenService` and `UserDirectory` through this one
//! TCP listener, with mutual TLS, which forwards each call to the service in process. Nothing
//! else is served there.
use anyhow::Context;
use astro_platform::{
    Settings,
    grpc::{AccessTable, GrpcChannel, Plane},
};
use astro_proto::{
    auth::v1::{
        ListSigningKeysRequest, SigningKeyList, TokenValidation, ValidateTokenRequest,
        token_service_client::TokenServiceClient,
        token_service_server::{TokenService, TokenServiceServer},
    },
    user::v1::{
        BatchGetUsersRequest, BatchGetUsersResponse, GetUserRequest, User,
        user_directory_client::UserDirectoryClient,
        user_directory_server::{UserDirectory, UserDirectoryServer},
    },
};
use std::{future::Future, net::SocketAddr, pin::Pin};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Who may call what there: the consumer API's own tables, nothing of the internal RPCs.
static CONSUMER_TABLES: [&AccessTable; 2] = [
    &auth_service::access::TOKEN_ACCESS,
    &user_service::access::DIRECTORY_ACCESS,
];

/// The consumer API's server, bound and ready to run.
pub type Serving = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// Binds the consumer API on `INTERNAL_GRPC_ADDR` and returns its address and the server to
/// run until `shutdown`, forwarding into `plane` (the in-process one); `None` when the address
/// is unset. Without `GRPC_TLS_*` it refuses to start: a plaintext listener would let any
/// local process read users.
pub async fn bind(
    settings: &Settings,
    plane: &Plane,
    shutdown: CancellationToken,
) -> anyhow::Result<Option<(SocketAddr, Serving)>> {
    let Some(addr) = settings.internal_api.addr else {
        return Ok(None);
    };
    anyhow::ensure!(
        settings.process.grpc_tls.is_some(),
        "INTERNAL_GRPC_ADDR needs GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA: the consumer API is served only with mutual TLS"
    );
    let network = Plane::network(&settings.process)?;
    let listener = network.listen_at(addr, "consumer API").await?;
    let bound = listener.local_addr().context("the consumer API's address")?;
    let (router, _health) =
        astro_platform::grpc::server_with_health("astro-auth.ConsumerApi", &CONSUMER_TABLES, &listener)
            .await?;
    let forward = Forward {
        auth: plane.channel(astro_platform::grpc::Peer::Auth)?,
        user: plane.channel(astro_platform::grpc::Peer::User)?,
    };
    let router = router
        .add_service(TokenServiceServer::new(forward.clone()))
        .add_service(UserDirectoryServer::new(forward));
    let serving: Serving =
        Box::pin(async move { Ok(astro_platform::grpc::serve(router, listener, shutdown).await?) });
    Ok(Some((bound, serving)))
}

/// Hands each call to the service that owns it, over the in-process plane.
#[derive(Clone)]
struct Forward {
    auth: GrpcChannel,
    user: GrpcChannel,
}

#[tonic::async_trait]
impl TokenService for Forward {
    async fn validate_token(
        &self,
        request: Request<ValidateTokenRequest>,
    ) -> Result<Response<TokenValidation>, Status> {
        TokenServiceClient::new(self.auth.clone())
            .validate_token(request.into_inner())
            .await
    }

    async fn list_signing_keys(
        &self,
        request: Request<ListSigningKeysRequest>,
    ) -> Result<Response<SigningKeyList>, Status> {
        TokenServiceClient::new(self.auth.clone())
            .list_signing_keys(request.into_inner())
            .await
    }
}

#[tonic::async_trait]
impl UserDirectory for Forward {
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        UserDirectoryClient::new(self.user.clone())
            .get_user(request.into_inner())
            .await
    }

    async fn batch_get_users(
        &self,
        request: Request<BatchGetUsersRequest>,
    ) -> Result<Response<BatchGetUsersResponse>, Status> {
        UserDirectoryClient::new(self.user.clone())
            .batch_get_users(request.into_inner())
            .await
    }
}
