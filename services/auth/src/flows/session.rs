//! Login, refresh rotation with reuse detection, and logout.
use super::Auth;
use super::step_up::AAL_PASSWORD;
use crate::audit::RequestContext;
use crate::{
    error::AuthError,
    repo::{NewRefreshToken, NewSession, Rotation},
};
use astro_domain::{holds_admin_rights, reason::Reason};
use astro_proto::{
    auth::v1::{LoginResult, TokenPair, login_result::Outcome},
    user::v1::{GetCredentialsByEmailRequest, GetUserRequest, SetPasswordHashRequest, User},
};
use astro_security::tokens::{Claims, Grant, Minted, TokenError, TokenKind};
use secrecy::SecretString;
use serde_json::json;
use tonic::Code;

const BAD_LOGIN: AuthError = AuthError::Refused(Reason::InvalidCredentials);
const INVALID: AuthError = AuthError::Refused(Reason::InvalidToken);
const REVOKED: AuthError = AuthError::Refused(Reason::TokenRevoked);

impl Auth {
    /// Checks the password (against a dummy hash for unknown emails, so timing does not tell
    /// which emails exist) and opens a new session.
    pub async fn login(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> Result<LoginResult, AuthError> {
        let credentials = match astro_domain::input::email(email) {
            Err(_) => None,
            Ok(email) => match self
                .users
                .clone()
                .get_credentials_by_email(GetCredentialsByEmailRequest { email })
                .await
            {
                Ok(response) => Some(response.into_inner()),
                Err(status) if status.code() == Code::NotFound => None,
                Err(status) => return Err(AuthError::Downstream(status)),
            },
        };
        let stored = credentials.as_ref().map(|c| c.password_hash.clone());
        let verified = self.hasher.verify_upgrading(password, stored.clone()).await?;
        let known = credentials.as_ref().and_then(|c| c.user.as_ref()).map(|u| u.id);
        let Some(user) = credentials.and_then(|c| c.user).filter(|_| verified.matches) else {
            self.audit
                .record(ctx, "login_failed", None, known, json!({ "email": email }));
            return Err(BAD_LOGIN);
        };
        if !user.is_active {
            self.audit.record(
                ctx,
                "login_refused_disabled",
                Some(user.id),
                Some(user.id),
                json!({}),
            );
            return Err(AuthError::Refused(Reason::AccountDisabled));
        }
        if let (Some(new), Some(old)) = (verified.upgraded, stored) {
            self.store_upgraded_hash(user.id, old, new).await;
        }
        let has_mfa = self.has_mfa(user.id).await?;
        if has_mfa != user.mfa_enabled {
            // An earlier change did not reach the user record (see `publish_mfa_flag`).
            self.publish_mfa_flag(user.id).await;
        }
        let outcome = if has_mfa {
            Outcome::Mfa(self.challenge(&user, ctx).await?)
        } else {
            Outcome::Tokens(self.open_session(&user, AAL_PASSWORD, ctx).await?)
        };
        Ok(LoginResult {
            outcome: Some(outcome),
        })
    }

    /// A new session for `user`, who has just authenticated at level `aal`.
    pub(super) async fn open_session(
        &self,
        user: &User,
        aal: i32,
        ctx: &RequestContext,
    ) -> Result<TokenPair, AuthError> {
        let sid = uuid::Uuid::new_v4().simple().to_string();
        let grant = Grant {
            user_id: user.id,
            sid: &sid,
            auth_time: self.clock.now_secs(),
            admin: holds_admin_rights(user),
            aal,
        };
        let refresh = self.keys.mint(TokenKind::Refresh, &grant);
        self.repo
            .create_session(
                NewSession {
                    id: &sid,
                    user_id: user.id,
                    ip: &ctx.ip,
                    user_agent: super::devices::user_agent(&ctx.user_agent),
                    aal,
                    auth_time: grant.auth_time,
                },
                refresh_row(&refresh, user.id),
            )
            .await?;
        if let Err(status) = self
            .users
            .clone()
            .record_login(GetUserRequest { id: user.id })
            .await
        {
            // The login itself succeeded; a missed "last login" stamp must not undo it.
            tracing::warn!(error = %status, "could not record last login");
        }
        self.audit.record(
            ctx,
            "login",
            Some(user.id),
            Some(user.id),
            json!({ "session": sid, "aal": aal }),
        );
        Ok(self.pair(&grant, refresh))
    }

    /// Reauthentication: a new pair of the caller's session, authenticated now at `aal`. The
    /// session's older refresh tokens are used up (presenting one later is reuse).
    pub(super) async fn renew_session(
        &self,
        caller: &Claims,
        user: &User,
        aal: i32,
    ) -> Result<TokenPair, AuthError> {
        let grant = Grant {
            user_id: user.id,
            sid: &caller.sid,
            auth_time: self.clock.now_secs(),
            admin: holds_admin_rights(user),
            aal,
        };
        let refresh = self.keys.mint(TokenKind::Refresh, &grant);
        if !self
            .repo
            .renew_session(refresh_row(&refresh, user.id), aal, grant.auth_time)
            .await?
        {
            return Err(REVOKED);
        }
        Ok(self.pair(&grant, refresh))
    }

    /// Rotates a refresh token. Presenting one that was already used revokes its session,
    /// except the token rotated last, again within `REFRESH_REUSE_GRACE_SECONDS`: that is
    /// another tab (or a retry) and gets the same successor.
    pub async fn refresh(&self, token: &str, ctx: &RequestContext) -> Result<TokenPair, AuthError> {
        let claims = self
            .keys
            .verify(TokenKind::Refresh, token)
            .await
            .map_err(|e| match e {
                TokenError::WrongType => AuthError::Refused(Reason::WrongTokenType),
                TokenError::Invalid => INVALID,
            })?;
        let user_id = claims.user_id().map_err(|_| INVALID)?;
        let user = self
            .user(user_id)
            .await?
            .ok_or(AuthError::Refused(Reason::UnknownUser))?;
        if !user.is_active {
            // Disabling ends the user's sessions; should this one have escaped (disabled
            // directly in the database), end it now, so enabling the account again does not
            // bring it back.
            self.revoke_session(&claims.sid).await?;
            return Err(REVOKED);
        }
        let grant = Grant {
            user_id,
            sid: &claims.sid,
            auth_time: claims.authenticated_at(),
            admin: holds_admin_rights(&user),
            aal: claims.assurance(),
        };
        let next = self.keys.mint(TokenKind::Refresh, &grant);
        match self
            .repo
            .rotate_refresh(
                &claims.jti,
                refresh_row(&next, user_id),
                self.keys.refresh_grace_micros(),
            )
            .await?
        {
            Rotation::Rotated => {
                self.touch_session(&claims.sid, ctx).await;
                Ok(self.pair(&grant, next))
            }
            Rotation::Grace { successor } => {
                let again = self.keys.reissue(
                    TokenKind::Refresh,
                    &grant,
                    &successor.jti,
                    successor.iat,
                    successor.exp,
                );
                Ok(self.pair(&grant, again))
            }
            Rotation::Reused { session_id } => {
                tracing::warn!(user_id, session = %session_id, "refresh token reuse: session revoked");
                self.revoke_session(&session_id).await?;
                let details = json!({ "session": session_id });
                self.audit
                    .record(ctx, "refresh_token_reuse", None, Some(user_id), details);
                Err(REVOKED)
            }
            Rotation::Rejected => Err(REVOKED),
        }
    }

    /// Revokes the access token and its session (and the session of `refresh_token`, if it is
    /// the same user's). An invalid or expired token has nothing to revoke: still success.
    pub async fn logout(
        &self,
        access_token: Option<&str>,
        refresh_token: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let access = match access_token {
            Some(token) => self.keys.verify(TokenKind::Access, token).await.ok(),
            None => None,
        };
        let Some(access) = access else {
            return Ok(());
        };
        self.revocations
            .revoke_token(&access.jti, access.exp)
            .await
            .map_err(|_| AuthError::Unavailable)?;
        self.revoke_session(&access.sid).await?;
        let refresh = match refresh_token {
            Some(token) => self.keys.verify(TokenKind::Refresh, token).await.ok(),
            None => None,
        };
        if let Some(refresh) = refresh
            && refresh.sub == access.sub
            && refresh.sid != access.sid
        {
            self.revoke_session(&refresh.sid).await?;
        }
        let user_id = access.user_id().ok();
        self.audit
            .record(ctx, "logout", user_id, user_id, json!({ "session": access.sid }));
        Ok(())
    }

    /// Replaces an outdated hash (bcrypt from the original, or an older argon2 cost) that the
    /// password just matched, unless the hash changed meanwhile (a password change wins). The
    /// login has succeeded either way: a failure here is logged, and the next login tries again.
    async fn store_upgraded_hash(&self, id: i64, old: String, new: String) {
        let request = SetPasswordHashRequest {
            id,
            password_hash: new,
            expected_hash: Some(old),
        };
        match self.users.clone().set_password_hash(request).await {
            Ok(_) => tracing::info!(user_id = id, "password rehashed to argon2id"),
            Err(status) if status.code() == Code::NotFound => {
                tracing::info!(user_id = id, "password changed meanwhile: rehash dropped");
            }
            Err(status) => {
                tracing::warn!(user_id = id, error = %status, "could not store the rehashed password")
            }
        }
    }

    async fn revoke_session(&self, sid: &str) -> Result<(), AuthError> {
        self.repo.revoke_session(sid).await?;
        self.revocations
            .revoke_session(sid, self.access_token_horizon())
            .await
            .map_err(|_| AuthError::Unavailable)
    }

    /// A fresh access token for `grant` (vouching for the admin rights it names) beside
    /// `refresh`.
    fn pair(&self, grant: &Grant<'_>, refresh: Minted) -> TokenPair {
        let access = self.keys.mint(TokenKind::Access, grant);
        TokenPair {
            access_token: access.token,
            refresh_token: refresh.token,
            expires_in: self.keys.access_ttl_secs(),
        }
    }
}

fn refresh_row(minted: &Minted, user_id: i64) -> NewRefreshToken<'_> {
    NewRefreshToken {
        jti: &minted.claims.jti,
        session_id: &minted.claims.sid,
        user_id,
        expires_at: minted.claims.exp * 1_000_000,
        issued_at: minted.claims.iat,
    }
}
