//! The consumer API over mutual TLS.
use astro_proto::{
    auth::v1::{TokenValidation, ValidateTokenRequest, token_service_client::TokenServiceClient},
    user::v1::{BatchGetUsersRequest, GetUserRequest, User, user_directory_client::UserDirectoryClient},
};
use std::{path::Path, time::Duration};
use tonic::{
    Code, Status,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{url}: {source}")]
    Endpoint {
        url: String,
        source: tonic::transport::Error,
    },
}

/// This service's certificate and key and the plane's CA.
#[derive(Clone)]
pub struct Certificates {
    ca: Certificate,
    identity: Identity,
}

impl Certificates {
    /// The files `astro-auth certs --out DIR --name NAME` wrote: `ca.pem`, `NAME.pem`,
    /// `NAME-key.pem`.
    pub fn from_dir(dir: &Path, name: &str) -> Result<Certificates, ConnectError> {
        let read = |file: String| {
            let path = dir.join(file);
            std::fs::read(&path).map_err(|source| ConnectError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        Ok(Certificates::from_pem(
            read("ca.pem".into())?,
            read(format!("{name}.pem"))?,
            read(format!("{name}-key.pem"))?,
        ))
    }

    pub fn from_pem(ca: Vec<u8>, cert: Vec<u8>, key: Vec<u8>) -> Certificates {
        Certificates {
            ca: Certificate::from_pem(ca),
            identity: Identity::from_pem(cert, key),
        }
    }

    fn tls(&self, server_name: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(self.ca.clone())
            .identity(self.identity.clone())
            .domain_name(server_name)
    }
}

/// Where a service answers, and the name its certificate must carry (`auth`, `user`, or the
/// one-process binary's own name when it serves the consumer API on `INTERNAL_GRPC_ADDR`).
#[derive(Clone, Debug)]
pub struct ServiceAddr {
    /// `https://host:port`.
    pub url: String,
    pub server_name: String,
}

/// The consumer API: token checks from the auth service, users from the user service (the
/// same address for both with the one-process binary).
#[derive(Clone)]
pub struct AstroAuth {
    tokens: TokenServiceClient<Channel>,
    users: UserDirectoryClient<Channel>,
}

impl AstroAuth {
    /// Channels that connect on first use (and reconnect), so start order does not matter.
    pub fn connect_lazy(
        auth: &ServiceAddr,
        user: &ServiceAddr,
        certificates: &Certificates,
    ) -> Result<AstroAuth, ConnectError> {
        let channel = |addr: &ServiceAddr| {
            let failed = |source| ConnectError::Endpoint {
                url: addr.url.clone(),
                source,
            };
            Ok::<_, ConnectError>(
                Endpoint::from_shared(addr.url.clone())
                    .map_err(failed)?
                    .connect_timeout(Duration::from_secs(2))
                    .timeout(Duration::from_secs(10))
                    .tls_config(certificates.tls(&addr.server_name))
                    .map_err(failed)?
                    .connect_lazy(),
            )
        };
        Ok(AstroAuth {
            tokens: TokenServiceClient::new(channel(auth)?),
            users: UserDirectoryClient::new(channel(user)?),
        })
    }

    /// Whether `token` is good now, revocation included: `active: false` for a dead token.
    pub async fn validate_token(&self, token: &str) -> Result<TokenValidation, Status> {
        let request = ValidateTokenRequest {
            token: token.to_owned(),
        };
        Ok(self.tokens.clone().validate_token(request).await?.into_inner())
    }

    /// A user's public fields; `None` for an unknown id.
    pub async fn get_user(&self, id: i64) -> Result<Option<User>, Status> {
        match self.users.clone().get_user(GetUserRequest { id }).await {
            Ok(user) => Ok(Some(user.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// Up to 100 users, in the order asked, unknown ids left out.
    pub async fn batch_get_users(&self, ids: Vec<i64>) -> Result<Vec<User>, Status> {
        let request = BatchGetUsersRequest { ids };
        Ok(self
            .users
            .clone()
            .batch_get_users(request)
            .await?
            .into_inner()
            .users)
    }
}
