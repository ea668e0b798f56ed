//! The signing keys as every process but auth reads them: from the auth service's
//! `TokenService/ListSigningKeys`, public keys only.
use crate::signing_keys::{ALGORITHM, KeySet, KeySource, KeySourceError, PublicKey};
use astro_platform::dependency::ServiceChannel;
use astro_proto::auth::v1::{ListSigningKeysRequest, SigningKey, token_service_client::TokenServiceClient};
use std::time::Duration;

/// A fetch that takes longer than this fails, and the ring keeps what it had.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub struct RemoteKeys {
    client: TokenServiceClient<ServiceChannel>,
}

impl RemoteKeys {
    pub fn new(channel: ServiceChannel) -> RemoteKeys {
        RemoteKeys {
            client: TokenServiceClient::new(channel),
        }
    }
}

#[async_trait::async_trait]
impl KeySource for RemoteKeys {
    async fn fetch(&self) -> Result<KeySet, KeySourceError> {
        let mut client = self.client.clone();
        let call = client.list_signing_keys(ListSigningKeysRequest {});
        let answer = tokio::time::timeout(FETCH_TIMEOUT, call)
            .await
            .map_err(|_| KeySourceError("the auth service did not answer in time".into()))?
            .map_err(|status| KeySourceError(status.message().to_owned()))?;
        Ok(KeySet {
            // A key for another algorithm (none exists today) is not one this process can use.
            public: answer
                .into_inner()
                .keys
                .into_iter()
                .filter_map(public_key)
                .collect(),
            private: Vec::new(),
        })
    }
}

fn public_key(key: SigningKey) -> Option<PublicKey> {
    if key.algorithm != ALGORITHM {
        return None;
    }
    Some(PublicKey {
        kid: key.kid,
        key: key.public_key.as_slice().try_into().ok()?,
        not_before: key.not_before,
        not_after: (key.not_after != 0).then_some(key.not_after),
    })
}

/// The wire form of a public key (the auth service's answer).
pub fn to_wire(key: &PublicKey) -> SigningKey {
    SigningKey {
        kid: key.kid.clone(),
        algorithm: ALGORITHM.to_owned(),
        public_key: key.key.to_vec(),
        not_before: key.not_before,
        not_after: key.not_after.unwrap_or(0),
    }
}
