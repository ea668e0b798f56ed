//! Registration, email verification, password reset and change, account deletion.
use super::{Auth, hash_token};
use crate::audit::RequestContext;
use crate::{error::AuthError, repo::Purpose};
use astro_domain::{Role, input, password_policy, reason::Reason};
use astro_proto::notification::v1::PurgeRecipientRequest;
use astro_proto::{
    notification::v1::EmailKind,
    user::v1::{
        CreateUserRequest, Credentials, GetCredentialsByEmailRequest, GetUserRequest, SetPasswordHashRequest,
        User,
    },
};
use astro_security::tokens::Claims;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tonic::Code;

const BAD_RESET: AuthError = AuthError::Refused(Reason::InvalidResetToken);

pub struct Registration {
    pub email: String,
    pub username: String,
    pub password: SecretString,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Auth {
    /// Creates the user (the user service's unique indexes settle concurrent duplicates) and
    /// queues the verification email.
    pub async fn register(&self, form: Registration) -> Result<i64, AuthError> {
        let email = input::email(&form.email).map_err(|e| AuthError::invalid("email", e))?;
        let username = input::username(&form.username).map_err(|e| AuthError::invalid("username", e))?;
        let first_name = optional_name("first_name", form.first_name)?;
        let last_name = optional_name("last_name", form.last_name)?;
        let words = [
            username.as_str(),
            email.as_str(),
            first_name.as_deref().unwrap_or(""),
            last_name.as_deref().unwrap_or(""),
        ];
        check_policy("password", &form.password, &words)?;
        let password_hash = self.hasher.hash(form.password).await?;
        let created = self
            .users
            .clone()
            .create_user(CreateUserRequest {
                email,
                username,
                password_hash,
                first_name,
                last_name,
                role: Role::User.wire(),
                is_verified: false,
            })
            .await;
        let user = match created {
            Ok(response) => response.into_inner(),
            Err(status) => {
                return Err(match Reason::of(&status) {
                    Some(reason @ (Reason::EmailTaken | Reason::UsernameTaken)) => AuthError::Refused(reason),
                    _ => AuthError::Downstream(status),
                });
            }
        };
        self.send_one_time_token(&user, Purpose::VerifyEmail).await?;
        Ok(user.id)
    }

    pub async fn verify_email(&self, token: &str) -> Result<(), AuthError> {
        const BAD: AuthError = AuthError::Refused(Reason::InvalidVerificationToken);
        let user_id = self
            .repo
            .consume_one_time_token(&hash_token(token), Purpose::VerifyEmail)
            .await?
            .ok_or(BAD)?;
        match self
            .users
            .clone()
            .mark_verified(GetUserRequest { id: user_id })
            .await
        {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::NotFound => Err(BAD),
            Err(status) => Err(AuthError::Downstream(status)),
        }
    }

    /// Unknown emails get the same answer as known ones (no enumeration).
    pub async fn resend_verification(&self, email: &str) -> Result<(), AuthError> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(());
        };
        if user.is_verified {
            return Err(AuthError::Refused(Reason::AlreadyVerified));
        }
        self.send_one_time_token(&user, Purpose::VerifyEmail).await
    }

    /// Answers at once whatever the email: the lookup and the token are done in the
    /// background, so response time does not tell whether the account exists.
    pub async fn forgot_password(&self, email: &str) -> Result<(), AuthError> {
        let (this, email) = (self.clone(), email.to_owned());
        tokio::spawn(async move {
            let outcome = match this.user_by_email(&email).await {
                Ok(Some(user)) if user.is_active => {
                    this.send_one_time_token(&user, Purpose::ResetPassword).await
                }
                Ok(_) => Ok(()),
                Err(err) => Err(err),
            };
            if let Err(err) = outcome {
                tracing::error!(error = %err, "could not issue a password reset");
            }
        });
        Ok(())
    }

    /// Sets a new password from a reset token and revokes every session of the user.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: SecretString,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let hash = hash_token(token);
        // Peek first so that a refused (weak) password does not burn the token.
        let user_id = self
            .repo
            .peek_one_time_token(&hash, Purpose::ResetPassword)
            .await?
            .ok_or(BAD_RESET)?;
        let user = self.user(user_id).await?.ok_or(BAD_RESET)?;
        check_policy("new_password", &new_password, &user_words(&user))?;
        let password_hash = self.hasher.hash(new_password).await?;
        if self
            .repo
            .consume_one_time_token(&hash, Purpose::ResetPassword)
            .await?
            .is_none()
        {
            return Err(BAD_RESET);
        }
        self.set_password_hash(user_id, password_hash).await?;
        self.revoke_sessions(user_id, None).await?;
        self.audit
            .record(ctx, "password_reset", Some(user_id), Some(user_id), json!({}));
        self.queue_email(&user, EmailKind::PasswordChanged).await
    }

    /// Changes the caller's password; every other session of theirs is revoked.
    pub async fn change_password(
        &self,
        caller: &Claims,
        current: SecretString,
        new: SecretString,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let (user_id, credentials) = self.caller_credentials(caller).await?;
        self.require_step_up(caller, user_id).await?;
        let user = credentials.user.unwrap_or_default();
        if !self
            .hasher
            .verify(current, Some(credentials.password_hash))
            .await?
        {
            return Err(AuthError::Refused(Reason::WrongCurrentPassword));
        }
        check_policy("new_password", &new, &user_words(&user))?;
        let password_hash = self.hasher.hash(new).await?;
        self.set_password_hash(user_id, password_hash).await?;
        self.revoke_sessions(user_id, Some(&caller.sid)).await?;
        self.audit
            .record(ctx, "password_change", Some(user_id), Some(user_id), json!({}));
        self.queue_email(&user, EmailKind::PasswordChanged).await
    }

    /// Deletes the caller's account everywhere; only the "account deleted" notice stays queued.
    pub async fn delete_account(
        &self,
        caller: &Claims,
        password: Option<SecretString>,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let (user_id, credentials) = self.caller_credentials(caller).await?;
        self.require_step_up(caller, user_id).await?;
        if let Some(password) = password
            && !self
                .hasher
                .verify(password, Some(credentials.password_hash))
                .await?
        {
            return Err(AuthError::Refused(Reason::WrongPassword));
        }
        let user = credentials.user.unwrap_or_default();
        self.revoke_sessions(user_id, None).await?;
        match self
            .users
            .clone()
            .delete_user(GetUserRequest { id: user_id })
            .await
        {
            Ok(_) => {}
            Err(status) if status.code() == Code::NotFound => {}
            Err(status) => return Err(AuthError::Downstream(status)),
        }
        // Queued before the clean-up, which keeps this kind, so the notice survives any failure
        // below.
        self.queue_email(&user, EmailKind::AccountDeleted).await?;
        self.audit
            .record(ctx, "account_deleted", Some(user_id), Some(user_id), json!({}));
        self.forget_user(&user).await
    }

    /// Removes the deleted user's sessions, tokens and queued mail here and in the
    /// notification service; only an "account deleted" notice may still go out.
    pub async fn forget_user(&self, user: &User) -> Result<(), AuthError> {
        let keep = [EmailKind::AccountDeleted as i32];
        self.repo.delete_user_data(user.id, &keep).await?;
        let purge = PurgeRecipientRequest {
            to: user.email.clone(),
            keep_kinds: keep.to_vec(),
        };
        // The user is already gone; an unreachable notification service must not turn that
        // into an error. Its queue then keeps mail to the address until it is sent or dies.
        if let Err(status) = self.notifications.clone().purge_recipient(purge).await {
            tracing::warn!(user_id = user.id, error = %status, "could not purge queued mail of a deleted user");
        }
        Ok(())
    }

    /// Revokes every session of a user at once (admin role change, disable, delete).
    pub async fn revoke_all_sessions(&self, user_id: i64) -> Result<(), AuthError> {
        self.revoke_sessions(user_id, None).await.map(drop)
    }

    /// The caller's id and stored credentials; an unknown user is an invalid token.
    pub(super) async fn caller_credentials(&self, caller: &Claims) -> Result<(i64, Credentials), AuthError> {
        const INVALID: AuthError = AuthError::Refused(Reason::InvalidToken);
        let user_id = caller.user_id().map_err(|_| INVALID)?;
        let credentials = self.credentials(user_id).await?.ok_or(INVALID)?;
        Ok((user_id, credentials))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, AuthError> {
        let Ok(email) = input::email(email) else {
            return Ok(None);
        };
        match self
            .users
            .clone()
            .get_credentials_by_email(GetCredentialsByEmailRequest { email })
            .await
        {
            Ok(response) => Ok(response.into_inner().user),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(AuthError::Downstream(status)),
        }
    }

    async fn set_password_hash(&self, id: i64, password_hash: String) -> Result<(), AuthError> {
        self.users
            .clone()
            .set_password_hash(SetPasswordHashRequest {
                id,
                password_hash,
                expected_hash: None,
            })
            .await
            .map(drop)
            .map_err(AuthError::Downstream)
    }
}

fn user_words(user: &User) -> [&str; 4] {
    [
        user.username.as_str(),
        user.email.as_str(),
        user.first_name.as_deref().unwrap_or(""),
        user.last_name.as_deref().unwrap_or(""),
    ]
}

fn check_policy(field: &'static str, password: &SecretString, words: &[&str]) -> Result<(), AuthError> {
    password_policy::check(password.expose_secret(), words).map_err(|weak| AuthError::invalid(field, weak))
}

fn optional_name(field: &'static str, value: Option<String>) -> Result<Option<String>, AuthError> {
    match value {
        None => Ok(None),
        Some(raw) => input::name(&raw, input::MAX_FIELD).map_err(|e| AuthError::invalid(field, e)),
    }
}
