//! What every handler shares: long-lived gRPC clients (one channel each, reused by every
//! request), the token keys and the revocation store.
use crate::limits::{LimitStore, Limits, MemoryStore, RedisStore};
use astro_common::grpc::GrpcChannel;
use astro_common::{Settings, grpc::lazy_channel, revocation::RevocationStore, tokens::TokenKeys};
use astro_proto::{
    admin::v1::admin_service_client::AdminServiceClient, auth::v1::auth_service_client::AuthServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use std::{net::IpAddr, sync::Arc};
use tonic_health::pb::health_client::HealthClient;

#[derive(Clone)]
pub struct AppState {
    pub auth: AuthServiceClient<GrpcChannel>,
    pub users: UserServiceClient<GrpcChannel>,
    pub admin: AdminServiceClient<GrpcChannel>,
    pub keys: Arc<TokenKeys>,
    pub revocations: Arc<dyn RevocationStore>,
    pub environment: Arc<str>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[crate::client::IpNet]>,
    pub limits: Arc<crate::limits::Limits>,
    /// `grpc.health.v1` clients of the services, for readiness.
    pub health: Arc<[(&'static str, HealthClient<GrpcChannel>)]>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    ServiceUrl(#[from] astro_common::grpc::BadServiceUrl),
    #[error(transparent)]
    Algorithm(#[from] astro_common::tokens::UnsupportedAlgorithm),
    #[error("TRUSTED_PROXIES: {0} is not an IP address or CIDR")]
    Proxy(String),
    #[error("REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
}

impl AppState {
    pub fn new(settings: &Settings, revocations: Arc<dyn RevocationStore>) -> Result<Self, StateError> {
        let trusted_proxies = settings
            .limits
            .trusted_proxies
            .iter()
            .map(|s| s.parse().map_err(|_| StateError::Proxy(s.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let limit_store: Arc<dyn LimitStore> = match &settings.redis_url {
            Some(url) => Arc::new(RedisStore::new(
                astro_common::redis_conn::connect(url)?,
                settings.redis_key_prefix.clone(),
            )),
            None => Arc::new(MemoryStore::default()),
        };
        let auth_channel = lazy_channel(&settings.services.auth)?;
        let user_channel = lazy_channel(&settings.services.user)?;
        let admin_channel = lazy_channel(&settings.services.admin)?;
        let health = [
            ("auth", auth_channel.clone()),
            ("user", user_channel.clone()),
            ("admin", admin_channel.clone()),
            ("notification", lazy_channel(&settings.services.notification)?),
        ]
        .map(|(name, channel)| (name, HealthClient::new(channel)));
        Ok(Self {
            auth: AuthServiceClient::new(auth_channel),
            // Avatar uploads and downloads are bigger than tonic's 4 MiB default allows.
            users: UserServiceClient::new(user_channel)
                .max_decoding_message_size(astro_common::grpc::AVATAR_MESSAGE_BYTES)
                .max_encoding_message_size(astro_common::grpc::AVATAR_MESSAGE_BYTES),
            admin: AdminServiceClient::new(admin_channel),
            limits: Arc::new(Limits::new(limit_store, settings.limits.clone())),
            health: Arc::new(health),
            keys: Arc::new(TokenKeys::new(&settings.jwt)?),
            revocations,
            environment: settings.environment.as_str().into(),
            trusted_proxies: trusted_proxies.into(),
        })
    }

    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(peer))
    }
}
