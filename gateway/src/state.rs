//! What every handler shares: long-lived gRPC clients (one channel each, reused by every
//! request), the token keys and the revocation store.
use crate::config::GatewayConfig;
use crate::limits::{LimitStore, Limits, MemoryStore, RedisStore};
use astro_platform::{
    dependency::{ServiceChannel, WatchedChannel},
    grpc::GrpcChannel,
    grpc::{Peer, Plane},
};
use astro_proto::{
    admin::v1::admin_service_client::AdminServiceClient, auth::v1::auth_service_client::AuthServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use astro_security::{remote_keys::RemoteKeys, revocation::RevocationStore, tokens::TokenKeys};
use std::{net::IpAddr, sync::Arc};
use tonic_health::pb::health_client::HealthClient;

/// Cloned for every request (axum's `State`), so one `Arc` to clone instead of a dozen fields.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub auth: AuthServiceClient<ServiceChannel>,
    pub users: UserServiceClient<ServiceChannel>,
    pub admin: AdminServiceClient<ServiceChannel>,
    pub keys: Arc<TokenKeys>,
    pub revocations: Arc<dyn RevocationStore>,
    pub environment: Arc<str>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[crate::ip_net::IpNet]>,
    pub limits: Arc<crate::limits::Limits>,
    /// `grpc.health.v1` clients of the services, for readiness.
    pub health: Arc<[(&'static str, HealthClient<GrpcChannel>)]>,
    /// Browser mode's cookies.
    pub cookies: Arc<crate::cookies::CookiePolicy>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Plane(#[from] astro_platform::grpc::PlaneError),
    #[error(transparent)]
    Algorithm(#[from] astro_security::tokens::UnsupportedAlgorithm),
    #[error("TRUSTED_PROXIES: {0} is not an IP address or CIDR")]
    Proxy(String),
    #[error("REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
}

impl AppState {
    pub fn new(
        config: &GatewayConfig,
        plane: &Plane,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StateError> {
        let trusted_proxies = config
            .http
            .limits
            .trusted_proxies
            .iter()
            .map(|s| s.parse().map_err(|_| StateError::Proxy(s.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let limit_store: Arc<dyn LimitStore> = match &config.redis.url {
            Some(url) => Arc::new(RedisStore::new(
                astro_platform::redis_conn::connect(url)?,
                config.redis.key_prefix.clone(),
            )),
            None => Arc::new(MemoryStore::default()),
        };
        let auth_channel = plane.channel(Peer::Auth)?;
        let user_channel = plane.channel(Peer::User)?;
        let admin_channel = plane.channel(Peer::Admin)?;
        let health = [
            ("auth", auth_channel.clone()),
            ("user", user_channel.clone()),
            ("admin", admin_channel.clone()),
            ("notification", plane.channel(Peer::Notification)?),
        ]
        .map(|(name, channel)| (name, HealthClient::new(channel)));
        // The clients report their services' failures; the health checks of readiness probes
        // do not (a failed probe is its own report).
        let watched = WatchedChannel::new;
        Ok(Self(Arc::new(Shared {
            auth: AuthServiceClient::new(watched("auth", auth_channel.clone())),
            // Avatar uploads and downloads are bigger than tonic's 4 MiB default allows.
            users: UserServiceClient::new(watched("user", user_channel))
                .max_decoding_message_size(astro_platform::grpc::AVATAR_MESSAGE_BYTES)
                .max_encoding_message_size(astro_platform::grpc::AVATAR_MESSAGE_BYTES),
            admin: AdminServiceClient::new(watched("admin", admin_channel)),
            limits: Arc::new(Limits::new(limit_store, config.http.limits.clone())),
            health: Arc::new(health),
            // With EdDSA, the public keys from the auth service.
            keys: Arc::new(TokenKeys::new(
                &config.jwt,
                Some(Arc::new(RemoteKeys::new(watched("auth", auth_channel.clone())))),
            )?),
            cookies: Arc::new(crate::cookies::CookiePolicy::new(
                config.http.cookie_secure,
                config.jwt.access_ttl.as_secs(),
                config.jwt.refresh_ttl.as_secs(),
                &config.http.base_url,
                &config.http.cors_origins,
            )),
            revocations,
            environment: config.process.environment.as_str().into(),
            trusted_proxies: trusted_proxies.into(),
        })))
    }
}

impl Shared {
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(peer))
    }
}
