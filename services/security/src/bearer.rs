//! The caller behind a gRPC call: the bearer token the edge forwarded, checked again here.
use crate::{
    revocation::RevocationStore,
    tokens::{Claims, TokenError, TokenKeys, TokenKind},
};
use astro_domain::reason::Reason;
use astro_platform::grpc::bearer;
use tonic::{Status, metadata::MetadataMap};

/// The verified access-token claims of the caller: the same check the gateway makes, repeated
/// in each service so none trusts the network alone.
pub async fn authenticate(
    metadata: &MetadataMap,
    keys: &TokenKeys,
    revocations: &dyn RevocationStore,
) -> Result<Claims, Status> {
    let token = bearer(metadata).ok_or_else(|| Reason::NotAuthenticated.status())?;
    let claims = keys
        .verify(TokenKind::Access, token)
        .await
        .map_err(|_: TokenError| Reason::InvalidToken.status())?;
    match revocations.is_revoked(&claims).await {
        Ok(false) => Ok(claims),
        Ok(true) => Err(Reason::TokenRevoked.status()),
        Err(_) => Err(Status::unavailable("Service temporarily unavailable")),
    }
}
