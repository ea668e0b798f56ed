//! What every handler shares: long-lived gRPC clients (one channel each, reused by every
//! request), the token keys and the revocation store.
use astro_common::{Settings, grpc::lazy_channel, revocation::RevocationStore, tokens::TokenKeys};
use astro_proto::{
    auth::v1::auth_service_client::AuthServiceClient,
    user::v1::user_service_client::UserServiceClient,
};
use std::{net::IpAddr, sync::Arc};
use tonic::transport::Channel;

#[derive(Clone)]
pub struct AppState {
    pub auth: AuthServiceClient<Channel>,
    pub users: UserServiceClient<Channel>,
    pub keys: Arc<TokenKeys>,
    pub revocations: Arc<dyn RevocationStore>,
    pub environment: Arc<str>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[crate::client::IpNet]>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    ServiceUrl(#[from] astro_common::grpc::BadServiceUrl),
    #[error(transparent)]
    Algorithm(#[from] astro_common::tokens::UnsupportedAlgorithm),
    #[error("TRUSTED_PROXIES: {0} is not an IP address or CIDR")]
    Proxy(String),
}

impl AppState {
    pub fn new(
        settings: &Settings,
        revocations: Arc<dyn RevocationStore>,
    ) -> Result<Self, StateError> {
        let trusted_proxies = settings
            .limits
            .trusted_proxies
            .iter()
            .map(|s| s.parse().map_err(|_| StateError::Proxy(s.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            auth: AuthServiceClient::new(lazy_channel(&settings.services.auth)?),
            users: UserServiceClient::new(lazy_channel(&settings.services.user)?),
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
