//! The gRPC face of the auth flows: unpacks requests, authenticates callers where needed,
//! and maps [`AuthError`](crate::error::AuthError) to a status.
use crate::flows::{Auth, Client, Registration};
use astro_common::grpc::{authenticate, client_info};
use astro_proto::auth::v1::{
    ChangePasswordRequest, DeleteAccountRequest, EmailRequest, Empty, LoginRequest, LogoutRequest,
    RefreshRequest, RegisterRequest, RegisterResponse, ResetPasswordRequest,
    RevokeUserSessionsRequest, TokenPair, TokenRequest, auth_service_server::AuthService,
};
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

fn empty(result: Result<(), crate::error::AuthError>) -> Reply<Empty> {
    result
        .map(|()| Response::new(Empty {}))
        .map_err(Status::from)
}

#[tonic::async_trait]
impl AuthService for Auth {
    async fn register(&self, request: Request<RegisterRequest>) -> Reply<RegisterResponse> {
        let r = request.into_inner();
        let user_id = Auth::register(
            self,
            Registration {
                email: r.email,
                username: r.username,
                password: r.password.into(),
                first_name: r.first_name,
                last_name: r.last_name,
            },
        )
        .await?;
        Ok(Response::new(RegisterResponse { user_id }))
    }

    async fn login(&self, request: Request<LoginRequest>) -> Reply<TokenPair> {
        let (meta_ip, meta_agent) = client_info(request.metadata());
        let r = request.into_inner();
        let client = r.client.unwrap_or_default();
        let ip = if client.ip.is_empty() {
            meta_ip
        } else {
            client.ip
        };
        let user_agent = if client.user_agent.is_empty() {
            meta_agent
        } else {
            client.user_agent
        };
        let pair = Auth::login(
            self,
            &r.email,
            r.password.into(),
            Client {
                ip: &ip,
                user_agent: &user_agent,
            },
        )
        .await?;
        Ok(Response::new(pair))
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Reply<Empty> {
        let r = request.into_inner();
        empty(Auth::logout(self, r.access_token.as_deref(), r.refresh_token.as_deref()).await)
    }

    async fn refresh(&self, request: Request<RefreshRequest>) -> Reply<TokenPair> {
        Ok(Response::new(
            Auth::refresh(self, &request.into_inner().refresh_token).await?,
        ))
    }

    async fn forgot_password(&self, request: Request<EmailRequest>) -> Reply<Empty> {
        empty(Auth::forgot_password(self, &request.into_inner().email).await)
    }

    async fn reset_password(&self, request: Request<ResetPasswordRequest>) -> Reply<Empty> {
        let r = request.into_inner();
        empty(Auth::reset_password(self, &r.token, r.new_password.into()).await)
    }

    async fn verify_email(&self, request: Request<TokenRequest>) -> Reply<Empty> {
        empty(Auth::verify_email(self, &request.into_inner().token).await)
    }

    async fn resend_verification(&self, request: Request<EmailRequest>) -> Reply<Empty> {
        empty(Auth::resend_verification(self, &request.into_inner().email).await)
    }

    async fn change_password(&self, request: Request<ChangePasswordRequest>) -> Reply<Empty> {
        let caller =
            authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let r = request.into_inner();
        empty(
            Auth::change_password(
                self,
                &caller,
                r.current_password.into(),
                r.new_password.into(),
            )
            .await,
        )
    }

    async fn delete_account(&self, request: Request<DeleteAccountRequest>) -> Reply<Empty> {
        let caller =
            authenticate(request.metadata(), &self.keys, self.revocations.as_ref()).await?;
        let password = request.into_inner().password.map(Into::into);
        empty(Auth::delete_account(self, &caller, password).await)
    }

    async fn revoke_user_sessions(
        &self,
        request: Request<RevokeUserSessionsRequest>,
    ) -> Reply<Empty> {
        // Callers are the admin service, which has already checked the admin's role; the
        // network policy keeps everyone else out of this port.
        empty(self.revoke_all_sessions(request.into_inner().user_id).await)
    }
}
