//! Authentication at the edge, as extractors: [`Caller`] is a valid, unrevoked access token;
//! [`VerifiedUser`] adds the user record (existing, active, email verified).
use crate::{client::ClientInfo, error::ApiError, state::AppState};
use astro_platform::grpc::{CLIENT_IP, USER_AGENT};
use astro_proto::user::v1::{GetUserRequest, User};
use astro_security::tokens::{Claims, TokenKind};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use tonic::{Code, metadata::MetadataValue};

const INVALID: &str = "Could not validate credentials";

/// The `Authorization: Bearer` token of a request, if it has one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A caller with a valid, unrevoked access token.
pub struct Caller {
    pub claims: Claims,
    pub token: String,
    pub client: ClientInfo,
}

impl Caller {
    pub fn user_id(&self) -> Result<i64, ApiError> {
        self.claims
            .user_id()
            .map_err(|_| ApiError::Unauthorized(INVALID.into()))
    }

    /// A gRPC request carrying this caller's token and client info, for services to re-check.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = client_request(message, &self.client);
        if let Ok(value) = MetadataValue::try_from(format!("Bearer {}", self.token)) {
            request.metadata_mut().insert("authorization", value);
        }
        request
    }
}

/// A gRPC request carrying the client's address and user agent.
pub fn client_request<T>(message: T, client: &ClientInfo) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(ip) = MetadataValue::try_from(client.ip.to_string()) {
        request.metadata_mut().insert(CLIENT_IP, ip);
    }
    if let Ok(agent) = MetadataValue::try_from(client.user_agent.as_str()) {
        request.metadata_mut().insert(USER_AGENT, agent);
    }
    request
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // An `Authorization` header always wins; without one, browser mode's access cookie,
        // whose writes must bring CSRF proof.
        let token = match state.cookies.access_token(&parts.headers) {
            Some(cookie) => {
                if crate::cookies::is_write(&parts.method) {
                    state.cookies.check_csrf(&parts.headers)?;
                }
                Some(cookie)
            }
            None => bearer_token(&parts.headers),
        };
        let token = token
            .ok_or_else(|| ApiError::Detail(StatusCode::FORBIDDEN, "Not authenticated".into()))?
            .to_owned();
        let claims = state
            .keys
            .verify(TokenKind::Access, &token)
            .await
            .map_err(|_| ApiError::Unauthorized(INVALID.into()))?;
        match state.revocations.is_revoked(&claims).await {
            Ok(false) => {}
            Ok(true) => return Err(ApiError::Unauthorized("Token has been invalidated".into())),
            Err(err) => {
                astro_platform::dependency::record("redis", &err);
                return Err(ApiError::Unavailable);
            }
        }
        let client = ClientInfo::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        Ok(Caller {
            claims,
            token,
            client,
        })
    }
}

/// A caller whose account exists, is active and has a verified email.
pub struct VerifiedUser {
    pub caller: Caller,
    pub user: User,
}

impl FromRequestParts<AppState> for VerifiedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        VerifiedUser::look_up(caller, state).await
    }
}

impl VerifiedUser {
    /// Looks `caller`'s user up: it must exist, be active and have a verified email.
    pub async fn look_up(caller: Caller, state: &AppState) -> Result<Self, ApiError> {
        let id = caller.user_id()?;
        let user = match state.users.clone().get_user(GetUserRequest { id }).await {
            Ok(response) => response.into_inner(),
            Err(status) if status.code() == Code::NotFound => {
                return Err(ApiError::Unauthorized(INVALID.into()));
            }
            Err(status) => return Err(status.into()),
        };
        if !user.is_active {
            return Err(ApiError::Detail(
                StatusCode::FORBIDDEN,
                "Account is disabled".into(),
            ));
        }
        if !user.is_verified {
            return Err(ApiError::bad_request("Email not verified"));
        }
        Ok(VerifiedUser { caller, user })
    }
}
