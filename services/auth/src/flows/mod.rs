//! The auth use cases. `Auth` holds what they need; each submodule adds one group of flows.
mod account;
mod devices;
mod session;

/// Authenticator assurance level of a password login (RFC 8176 `pwd`), the only kind so far.
pub(crate) const PASSWORD_AAL: i32 = 1;

pub use account::Registration;

use crate::{
    audit::AuditLog,
    error::AuthError,
    hashing::PasswordHasher,
    repo::{AuthRepo, OutboxEmail, Purpose},
};
use astro_platform::dependency::ServiceChannel;
use astro_proto::{
    notification::v1::{EmailKind, notification_service_client::NotificationServiceClient},
    user::v1::{Credentials, GetUserRequest, User, user_service_client::UserServiceClient},
};
use astro_security::{revocation::RevocationStore, sealing::DataKey, tokens::TokenKeys};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;
use tonic::Code;

const VERIFY_TTL: Duration = Duration::from_secs(24 * 3600);
const RESET_TTL: Duration = Duration::from_secs(3600);

/// Everything the flows share; cheap to clone (all handles).
#[derive(Clone)]
pub struct Auth {
    pub(crate) repo: Arc<dyn AuthRepo>,
    pub(crate) users: UserServiceClient<ServiceChannel>,
    pub(crate) keys: Arc<TokenKeys>,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) hasher: Arc<PasswordHasher>,
    /// Wakes the outbox relay after a state change queued an email.
    pub(crate) outbox_wake: Arc<Notify>,
    pub(crate) audit: AuditLog,
    pub(crate) notifications: NotificationServiceClient<ServiceChannel>,
    /// Seals secrets stored at rest (TOTP secrets).
    // Read by the MFA flows (branch mfa); this branch has only the Sealing commit.
    #[allow(dead_code)]
    pub(crate) data_key: Arc<DataKey>,
}

impl Auth {
    pub(crate) async fn user(&self, id: i64) -> Result<Option<User>, AuthError> {
        match self.users.clone().get_user(GetUserRequest { id }).await {
            Ok(response) => Ok(Some(response.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(AuthError::Downstream(status)),
        }
    }

    async fn credentials(&self, id: i64) -> Result<Option<Credentials>, AuthError> {
        match self.users.clone().get_credentials(GetUserRequest { id }).await {
            Ok(response) => Ok(Some(response.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(AuthError::Downstream(status)),
        }
    }

    /// Issues a one-time token for `user` and queues the email that carries it.
    async fn send_one_time_token(&self, user: &User, purpose: Purpose) -> Result<(), AuthError> {
        let (token, hash) = new_one_time_token();
        let (ttl, kind) = match purpose {
            Purpose::VerifyEmail => (VERIFY_TTL, EmailKind::Verification),
            Purpose::ResetPassword => (RESET_TTL, EmailKind::PasswordReset),
        };
        let expires_at = astro_platform::time::now_micros() + ttl.as_micros() as i64;
        let email = outbox_email(user, kind, token);
        self.repo
            .issue_one_time_token(user.id, purpose, &hash, expires_at, email)
            .await?;
        self.outbox_wake.notify_one();
        Ok(())
    }

    async fn queue_email(&self, user: &User, kind: EmailKind) -> Result<(), AuthError> {
        self.repo
            .enqueue_email(outbox_email(user, kind, String::new()))
            .await?;
        self.outbox_wake.notify_one();
        Ok(())
    }

    /// Revokes the user's sessions (all, or all but `keep`) in storage and at the edge.
    /// Revokes every session of `user_id` but `keep`, access tokens included; how many.
    async fn revoke_sessions(&self, user_id: i64, keep: Option<&str>) -> Result<usize, AuthError> {
        let revoked = self.repo.revoke_user_sessions(user_id, keep).await?;
        let until = self.access_token_horizon();
        for sid in &revoked {
            self.revocations
                .revoke_session(sid, until)
                .await
                .map_err(|_| AuthError::Unavailable)?;
        }
        if keep.is_none() {
            // `iat` has whole seconds: a cutoff of "now + 1" would also kill tokens issued right
            // after this (a login a moment later). Tokens from this second's earlier sessions are
            // already revoked above by their `sid`; the cutoff covers the earlier seconds.
            self.revocations
                .revoke_user_before(user_id, astro_platform::time::now_secs())
                .await
                .map_err(|_| AuthError::Unavailable)?;
        }
        Ok(revoked.len())
    }

    /// The latest instant at which an access token minted now could still be valid.
    fn access_token_horizon(&self) -> i64 {
        astro_platform::time::now_secs() + self.keys.access_ttl_secs() as i64 + 60
    }
}

fn outbox_email(user: &User, kind: EmailKind, token: String) -> OutboxEmail {
    OutboxEmail {
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        user_id: user.id,
        kind: kind as i32,
        recipient: user.email.clone(),
        name: display_name(user),
        token,
    }
}

fn display_name(user: &User) -> String {
    user.first_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| user.username.clone())
}

/// A random 256-bit token (URL-safe) and the hash under which it is stored.
fn new_one_time_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
