//! The gRPC face of the auth flows: unpacks requests, authenticates callers where needed,
//! and maps [`AuthError`](crate::error::AuthError) to a status.
use crate::{
    audit::RequestContext,
    error::AuthError,
    flows::{Auth, Factor, Registration},
};
use astro_domain::{holds_admin_rights, reason::Reason};
use astro_proto::auth::v1::{
    ChangePasswordRequest, DeleteAccountRequest, EmailRequest, Empty, LoginRequest, LoginResult,
    LogoutRequest, MfaCode, MfaLogin, PurgeUserRequest, ReauthenticateRequest, RecoveryCodes, RefreshRequest,
    RegisterRequest, RegisterResponse, ResetPasswordRequest, ResetUserMfaRequest, RevokeSessionRequest,
    RevokeUserSessionsRequest, RevokedSessions, SessionList, TokenPair, TokenRequest, TotpEnrolment,
    VerifyMfaRequest, auth_service_server::AuthService,
};
use astro_proto::user::v1::User;
use astro_security::authenticate;
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

fn empty(result: Result<(), crate::error::AuthError>) -> Reply<Empty> {
    result.map(|()| Response::new(Empty {})).map_err(Status::from)
}

impl Auth {
    /// The admin-only RPCs are called by the admin service with the admin's own token; the
    /// network policy already keeps others out, and this re-check keeps out anyone who gets in.
    async fn require_admin(&self, metadata: &tonic::metadata::MetadataMap) -> Result<(), Status> {
        let caller = authenticate(metadata, &self.keys, self.revocations.as_ref()).await?;
        if caller.adm {
            return Ok(());
        }
        let id = caller.user_id().map_err(|_| Reason::InvalidToken.status())?;
        match self.user(id).await? {
            Some(user) if holds_admin_rights(&user) => Ok(()),
            _ => Err(Reason::NotAdmin.status()),
        }
    }
}

/// The call's context and message.
fn split<T>(request: Request<T>) -> (RequestContext, T) {
    (
        RequestContext::from_metadata(request.metadata()),
        request.into_inner(),
    )
}

#[tonic::async_trait]
impl AuthService for Auth {
    async fn register(&self, request: Request<RegisterRequest>) -> Reply<RegisterResponse> {
        let r = request.into_inner();
        let form = Registration {
            email: r.email,
            username: r.username,
            password: r.password.into(),
            first_name: r.first_name,
            last_name: r.last_name,
        };
        let user_id = Auth::register(self, form).await?;
        Ok(Response::new(RegisterResponse { user_id }))
    }

    async fn login(&self, request: Request<LoginRequest>) -> Reply<LoginResult> {
        let (ctx, r) = split(request);
        Ok(Response::new(
            Auth::login(self, &r.email, r.password.into(), &ctx).await?,
        ))
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Reply<Empty> {
        let (ctx, r) = split(request);
        empty(Auth::logout(self, r.access_token.as_deref(), r.refresh_token.as_deref(), &ctx).await)
    }

    async fn refresh(&self, request: Request<RefreshRequest>) -> Reply<TokenPair> {
        let (ctx, r) = split(request);
        Ok(Response::new(Auth::refresh(self, &r.refresh_token, &ctx).await?))
    }

    async fn forgot_password(&self, request: Request<EmailRequest>) -> Reply<Empty> {
        empty(Auth::forgot_password(self, &request.into_inner().email).await)
    }

    async fn reset_password(&self, request: Request<ResetPasswordRequest>) -> Reply<Empty> {
        let (ctx, r) = split(request);
        empty(Auth::reset_password(self, &r.token, r.new_password.into(), &ctx).await)
    }

    async fn verify_email(&self, request: Request<TokenRequest>) -> Reply<Empty> {
        empty(Auth::verify_email(self, &request.into_inner().token).await)
    }

    async fn resend_verification(&self, request: Request<EmailRequest>) -> Reply<Empty> {
        empty(Auth::resend_verification(self, &request.into_inner().email).await)
    }

    async fn change_password(&self, request: Request<ChangePasswordRequest>) -> Reply<Empty> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        let (current, new) = (r.current_password.into(), r.new_password.into());
        empty(Auth::change_password(self, &caller, current, new, &ctx).await)
    }

    async fn delete_account(&self, request: Request<DeleteAccountRequest>) -> Reply<Empty> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        empty(Auth::delete_account(self, &caller, r.password.map(Into::into), &ctx).await)
    }

    async fn revoke_user_sessions(&self, request: Request<RevokeUserSessionsRequest>) -> Reply<Empty> {
        self.require_admin(request.metadata()).await?;
        empty(self.revoke_all_sessions(request.into_inner().user_id).await)
    }

    async fn purge_user(&self, request: Request<PurgeUserRequest>) -> Reply<Empty> {
        self.require_admin(request.metadata()).await?;
        let r = request.into_inner();
        let user = User {
            id: r.user_id,
            email: r.email,
            ..User::default()
        };
        let purged = async {
            self.revoke_all_sessions(user.id).await?;
            self.forget_user(&user).await
        };
        empty(purged.await)
    }

    async fn list_sessions(&self, request: Request<Empty>) -> Reply<SessionList> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let sessions = Auth::list_sessions(self, &caller).await?;
        Ok(Response::new(SessionList { sessions }))
    }

    async fn revoke_session(&self, request: Request<RevokeSessionRequest>) -> Reply<Empty> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        empty(Auth::revoke_own_session(self, &caller, &r.id, &ctx).await)
    }

    async fn revoke_other_sessions(&self, request: Request<Empty>) -> Reply<RevokedSessions> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, _) = split(request);
        let revoked = Auth::revoke_other_sessions(self, &caller, &ctx).await?;
        Ok(Response::new(RevokedSessions { revoked }))
    }

    async fn verify_mfa(&self, request: Request<VerifyMfaRequest>) -> Reply<MfaLogin> {
        let (ctx, r) = split(request);
        let proof = factor(r.code.as_deref(), r.recovery_code.as_deref())?;
        Ok(Response::new(
            Auth::verify_mfa(self, &r.mfa_token, proof, &ctx).await?,
        ))
    }

    async fn reauthenticate(&self, request: Request<ReauthenticateRequest>) -> Reply<TokenPair> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        let pair = Auth::reauthenticate(self, &caller, r.password.into(), r.code.as_deref(), &ctx).await?;
        Ok(Response::new(pair))
    }

    async fn start_totp(&self, request: Request<Empty>) -> Reply<TotpEnrolment> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, _) = split(request);
        Ok(Response::new(Auth::start_totp(self, &caller, &ctx).await?))
    }

    async fn activate_totp(&self, request: Request<MfaCode>) -> Reply<RecoveryCodes> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        let code = r.code.ok_or(AuthError::Refused(Reason::MfaCodeRejected))?;
        Ok(Response::new(
            Auth::activate_totp(self, &caller, &code, &ctx).await?,
        ))
    }

    async fn disable_totp(&self, request: Request<MfaCode>) -> Reply<Empty> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        let proof = Factor::either(r.code.as_deref(), r.recovery_code.as_deref())
            .ok_or(AuthError::Refused(Reason::MfaCodeRejected))?;
        empty(Auth::disable_totp(self, &caller, proof, &ctx).await)
    }

    async fn regenerate_recovery_codes(&self, request: Request<MfaCode>) -> Reply<RecoveryCodes> {
        let caller = authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let (ctx, r) = split(request);
        let code = r.code.ok_or(AuthError::Refused(Reason::MfaCodeRejected))?;
        Ok(Response::new(
            Auth::regenerate_recovery_codes(self, &caller, &code, &ctx).await?,
        ))
    }

    async fn reset_user_mfa(&self, request: Request<ResetUserMfaRequest>) -> Reply<Empty> {
        self.require_admin(request.metadata()).await?;
        let admin = authenticate(request.metadata(), &self.keys, self.revocations.as_ref())
            .await?
            .user_id()
            .ok();
        let (ctx, r) = split(request);
        empty(Auth::reset_user_mfa(self, admin, r.user_id, &ctx).await)
    }
}

/// Exactly one of a TOTP code and a recovery code; anything else is a wrong second factor.
fn factor<'a>(code: Option<&'a str>, recovery_code: Option<&'a str>) -> Result<Factor<'a>, Status> {
    Factor::either(code, recovery_code).ok_or_else(|| Reason::InvalidSecondFactor.status())
}
