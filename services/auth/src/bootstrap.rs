//! The first admin: created at start from `INITIAL_ADMIN_*` when no admin exists yet, or on
//! demand by `astro-auth create-admin`. It lives in `auth` because hashing does: the user
//! service never sees a plain password.
use crate::{error::AuthError, hashing::PasswordHasher};
use astro_common::grpc::GrpcChannel;
use astro_common::{
    config::{HashingSettings, InitialAdmin},
    grpc::lazy_channel,
    input, password_policy,
};
use astro_proto::user::v1::{
    CountAdminsRequest, CreateUserRequest, User, user_service_client::UserServiceClient,
};
use secrecy::ExposeSecret;
use tonic::Code;

/// Whether an existing admin makes creating another one unnecessary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At start: only when there is no admin at all.
    NoAdminYet,
    /// On the operator's explicit request.
    Always,
}

/// What [`create_admin`] did.
#[derive(Debug)]
pub enum Outcome {
    Created(Box<User>),
    /// An admin already existed (with [`When::NoAdminYet`]), or another replica starting at the
    /// same moment created this very admin first.
    AlreadyThere,
}

/// Creates `admin` as a verified admin through the user service at `user_service_url`, after
/// checking the address, the username and the password policy (with the admin's own words, as
/// for everyone).
pub async fn create_admin(
    user_service_url: &str,
    hashing: &HashingSettings,
    admin: &InitialAdmin,
    when: When,
) -> Result<Outcome, AuthError> {
    let channel = lazy_channel(user_service_url).map_err(|e| AuthError::Internal(e.to_string()))?;
    let mut users = UserServiceClient::new(channel);
    let invalid = |field, err: input::InputError| AuthError::Invalid {
        field,
        message: err.to_string(),
    };
    let email = input::email(&admin.email).map_err(|e| invalid("email", e))?;
    let username = input::username(&admin.username).map_err(|e| invalid("username", e))?;
    password_policy::check(admin.password.expose_secret(), &[&username, &email]).map_err(|reason| {
        AuthError::WeakPassword {
            field: "password",
            reason,
        }
    })?;
    if when == When::NoAdminYet && admin_exists(&mut users).await? {
        return Ok(Outcome::AlreadyThere);
    }
    let hasher = PasswordHasher::new(hashing)?;
    let password_hash = hasher.hash(admin.password.clone()).await?;
    let request = CreateUserRequest {
        email,
        username,
        password_hash,
        first_name: None,
        last_name: None,
        role: "admin".into(),
        is_verified: true,
    };
    match users.create_user(request).await {
        Ok(created) => Ok(Outcome::Created(Box::new(created.into_inner()))),
        // Two replicas bootstrapping at once: the unique index lets one win, and the other's
        // admin is this same account. (A plain user holding the address is still an error.)
        Err(status)
            if status.code() == Code::AlreadyExists
                && when == When::NoAdminYet
                && admin_exists(&mut users).await? =>
        {
            Ok(Outcome::AlreadyThere)
        }
        Err(status) if status.code() == Code::AlreadyExists => {
            Err(AuthError::BadRequest(if status.message() == "username" {
                "Username already exists"
            } else {
                "Email already exists"
            }))
        }
        Err(status) => Err(AuthError::Downstream(status)),
    }
}

async fn admin_exists(users: &mut UserServiceClient<GrpcChannel>) -> Result<bool, AuthError> {
    let admins = users
        .count_admins(CountAdminsRequest {})
        .await
        .map_err(AuthError::Downstream)?;
    Ok(admins.into_inner().admins > 0)
}
