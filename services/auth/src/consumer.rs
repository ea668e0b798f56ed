//! `auth.v1.TokenService`: the consumer API for other internal services. The token check is
//! the same the gateway makes (signature, expiry, revocation), plus the user as they are now: a
//! disabled or deleted user's token is not active. The signing keys are read from the database
//! on each call, so a rotation shows at once.
use crate::signing::SigningKeys;
use astro_platform::dependency::ServiceChannel;
use astro_proto::{
    auth::v1::{
        ListSigningKeysRequest, SigningKeyList, TokenValidation, ValidateTokenRequest,
        token_service_server::TokenService,
    },
    user::v1::{GetUserRequest, user_service_client::UserServiceClient},
};
use astro_security::{
    remote_keys::to_wire,
    revocation::RevocationStore,
    tokens::{TokenKeys, TokenKind},
};
use std::sync::Arc;
use tonic::{Code, Request, Response, Status};

#[derive(Clone)]
pub struct TokenCheck {
    pub keys: Arc<TokenKeys>,
    pub revocations: Arc<dyn RevocationStore>,
    pub users: UserServiceClient<ServiceChannel>,
    /// `None` with an HMAC algorithm: nothing to publish.
    pub signing: Option<SigningKeys>,
}

#[tonic::async_trait]
impl TokenService for TokenCheck {
    async fn validate_token(
        &self,
        request: Request<ValidateTokenRequest>,
    ) -> Result<Response<TokenValidation>, Status> {
        let token = request.into_inner().token;
        Ok(Response::new(self.validate(token.trim()).await?))
    }

    async fn list_signing_keys(
        &self,
        _request: Request<ListSigningKeysRequest>,
    ) -> Result<Response<SigningKeyList>, Status> {
        let keys = match &self.signing {
            Some(signing) => signing.published(astro_platform::time::now_secs()).await?,
            None => Vec::new(),
        };
        Ok(Response::new(SigningKeyList {
            keys: keys.iter().map(to_wire).collect(),
        }))
    }
}

impl TokenCheck {
    /// What a token is worth now; only a failing dependency is an error.
    async fn validate(&self, token: &str) -> Result<TokenValidation, Status> {
        let inactive = TokenValidation::default();
        let Ok(claims) = self.keys.verify(TokenKind::Access, token).await else {
            return Ok(inactive);
        };
        let Ok(user_id) = claims.user_id() else {
            return Ok(inactive);
        };
        match self.revocations.is_revoked(&claims).await {
            Ok(false) => {}
            Ok(true) => return Ok(inactive),
            Err(err) => {
                astro_platform::dependency::record("redis", &err);
                return Err(astro_platform::dependency::unavailable());
            }
        }
        let user = match self.users.clone().get_user(GetUserRequest { id: user_id }).await {
            Ok(user) => user.into_inner(),
            Err(status) if status.code() == Code::NotFound => return Ok(inactive),
            Err(status) => return Err(status),
        };
        if !user.is_active {
            return Ok(inactive);
        }
        Ok(TokenValidation {
            active: true,
            user_id,
            sid: claims.sid.clone(),
            jti: claims.jti.clone(),
            exp: claims.exp,
            role: user.role,
            email_verified: user.is_verified,
            aal: claims.assurance(),
            auth_time: claims.authenticated_at(),
        })
    }
}
