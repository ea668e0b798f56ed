//! The gRPC plane between separate processes is locked: only a caller with a certificate from
//! the plane's CA completes the handshake, and only the callers an RPC's allow-list names may
//! call it. Password hashes (`GetCredentialsByEmail`) and role changes (`UpdateUser`) are out
//! of reach of anything but the services that need them.
use crate::{
    api::Api,
    cluster::{CONSUMER, Cluster},
};
use astro_proto::auth::v1::{
    ValidateTokenRequest, auth_service_client::AuthServiceClient, token_service_client::TokenServiceClient,
};
use astro_proto::user::v1::{
    BatchGetUsersRequest, GetCredentialsByEmailRequest, UpdateUserRequest,
    user_directory_client::UserDirectoryClient, user_service_client::UserServiceClient,
};
use std::path::Path;
use testkit::{TestUser, Tokens};
use tonic::{
    Code,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// A client identity: the certificate and key files of `name` in `dir`.
fn identity(dir: &Path, name: &str) -> Identity {
    let read = |file: String| std::fs::read(dir.join(file)).expect("reading a PEM file");
    Identity::from_pem(read(format!("{name}.pem")), read(format!("{name}-key.pem")))
}

/// A channel to the user service over TLS, verifying it against `ca`, presenting `client`.
async fn user_channel(
    cluster: &Cluster,
    ca: &Path,
    client: Option<Identity>,
) -> Result<Channel, tonic::transport::Error> {
    service_channel(cluster, "user", ca, client).await
}

/// A channel to `service` over TLS, verifying it against `ca`, presenting `client`.
async fn service_channel(
    cluster: &Cluster,
    service: &str,
    ca: &Path,
    client: Option<Identity>,
) -> Result<Channel, tonic::transport::Error> {
    let ca = Certificate::from_pem(std::fs::read(ca).expect("reading the CA"));
    let mut tls = ClientTlsConfig::new().ca_certificate(ca).domain_name(service);
    if let Some(identity) = client {
        tls = tls.identity(identity);
    }
    Endpoint::from_shared(format!("https://{}", cluster.grpc_addrs[service]))
        .expect("a valid URL")
        .tls_config(tls)
        .expect("a valid TLS configuration")
        .connect()
        .await
}

/// The status of `GetCredentialsByEmail` (the escalation: reading a password hash) on `channel`.
async fn read_hash(channel: Channel) -> tonic::Status {
    UserServiceClient::new(channel)
        .get_credentials_by_email(GetCredentialsByEmailRequest {
            email: "victim@example.com".into(),
        })
        .await
        .expect_err("reading a password hash must be refused")
}

/// The status of `UpdateUser` making user 1 an admin (the other escalation) on `channel`.
async fn make_admin(channel: Channel) -> tonic::Status {
    UserServiceClient::new(channel)
        .update_user(UpdateUserRequest {
            id: 1,
            role: Some(astro_proto::user::v1::Role::Admin as i32),
            ..Default::default()
        })
        .await
        .expect_err("making oneself an admin must be refused")
}

/// The TLS handshake refused the caller: connecting failed, or (TLS 1.3 finishes the client's
/// side of the handshake before the server has checked its certificate) the first call died
/// with the connection, never reaching the service. A plaintext HTTP/2 client reads the
/// server's TLS alert as a malformed frame, which tonic reports as `Internal` with the transport
/// error as its source; a status the service itself sent carries no such source.
async fn assert_connection_refused(channel: Result<Channel, tonic::transport::Error>, case: &str) {
    let Ok(channel) = channel else { return };
    let status = read_hash(channel).await;
    let transport_failure =
        std::error::Error::source(&status).is_some_and(|source| source.is::<tonic::transport::Error>());
    assert!(
        transport_failure || matches!(status.code(), Code::Unavailable | Code::Unknown | Code::Cancelled),
        "{case}: {status:?}"
    );
}

pub async fn locked(cluster: &Cluster) {
    let certs = &cluster.certs_dir;
    let ca = certs.join(astro_auth::certs::CA_CERT);

    // Plaintext: the server speaks only TLS.
    let plaintext = Endpoint::from_shared(format!("http://{}", cluster.grpc_addrs["user"]))
        .expect("a valid URL")
        .connect()
        .await;
    assert_connection_refused(plaintext, "plaintext").await;

    // TLS without a client certificate: the handshake (or the first call) fails.
    assert_connection_refused(user_channel(cluster, &ca, None).await, "no client certificate").await;

    // A certificate named like a platform service but signed by another CA.
    let rogue = cluster.certs_dir.join("rogue");
    astro_auth::certs::write(&rogue, &["auth".to_owned()]).expect("a second CA");
    let channel = user_channel(cluster, &ca, Some(identity(&rogue, "auth"))).await;
    assert_connection_refused(channel, "a certificate from another CA").await;

    // A valid certificate of a caller on no list: the handshake works (health answers), the
    // internal RPCs do not.
    let consumer = user_channel(cluster, &ca, Some(identity(certs, CONSUMER)))
        .await
        .expect("a CA-signed certificate completes the handshake");
    let health = HealthClient::new(consumer.clone())
        .check(HealthCheckRequest::default())
        .await;
    assert!(health.is_ok(), "health for a certified caller: {health:?}");
    for status in [read_hash(consumer.clone()).await, make_admin(consumer).await] {
        assert_eq!(status.code(), Code::PermissionDenied, "consumer: {status:?}");
    }

    // Even the gateway, a platform service, may not read hashes or change roles itself.
    let gateway = user_channel(cluster, &ca, Some(identity(certs, "gateway")))
        .await
        .expect("the gateway's certificate completes the handshake");
    for status in [read_hash(gateway.clone()).await, make_admin(gateway).await] {
        assert_eq!(status.code(), Code::PermissionDenied, "gateway: {status:?}");
    }

    // The service that owns the flow may: auth reads credentials (the email is unknown).
    let auth = user_channel(cluster, &ca, Some(identity(certs, "auth")))
        .await
        .expect("auth's certificate completes the handshake");
    let status = read_hash(auth).await;
    assert_eq!(
        status.code(),
        Code::NotFound,
        "auth reading credentials: {status:?}"
    );
}

/// The consumer API is open to any certified caller, through mutual TLS: another internal
/// service validates a user's access token (active, then inactive once logged out) and reads
/// the user's public fields, while the internal RPCs stay closed to it (see [`locked`]).
pub async fn consumer_api(cluster: &Cluster, api: &Api, user: &TestUser) {
    let certs = &cluster.certs_dir;
    let ca = certs.join(astro_auth::certs::CA_CERT);
    let consumer = || Some(identity(certs, CONSUMER));
    let auth = service_channel(cluster, "auth", &ca, consumer())
        .await
        .expect("a CA-signed certificate reaches auth");
    let users = service_channel(cluster, "user", &ca, consumer())
        .await
        .expect("a CA-signed certificate reaches user");
    let (status, body) = api.login(user).await;
    assert_eq!(status, 200, "login: {body}");
    let tokens = Tokens::from_body(&body);
    let validate = |token: String| {
        let mut client = TokenServiceClient::new(auth.clone());
        async move {
            client
                .validate_token(ValidateTokenRequest { token })
                .await
                .expect("ValidateToken answers a certified consumer")
                .into_inner()
        }
    };
    let valid = validate(tokens.access.clone()).await;
    assert!(valid.active, "{valid:?}");
    // The gateway's own RPCs on the same process stay closed to it, even with a user's token.
    let mut sessions = tonic::Request::new(astro_proto::auth::v1::Empty {});
    let bearer = format!("Bearer {}", tokens.access)
        .parse()
        .expect("an ASCII token");
    sessions.metadata_mut().insert("authorization", bearer);
    let denied = AuthServiceClient::new(auth.clone())
        .list_sessions(sessions)
        .await
        .expect_err("ListSessions is the gateway's");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    assert!(valid.email_verified && valid.auth_time > 0, "{valid:?}");
    let found = UserDirectoryClient::new(users.clone())
        .batch_get_users(BatchGetUsersRequest {
            ids: vec![valid.user_id, i64::MAX],
        })
        .await
        .expect("BatchGetUsers answers a certified consumer")
        .into_inner()
        .users;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].email, user.email);

    let (status, body) = api
        .post(
            "/api/auth/logout",
            &serde_json::json!({"refresh_token": tokens.refresh}),
            Some(&tokens.access),
            &[],
        )
        .await;
    assert_eq!(status, 200, "logout: {body}");
    let revoked = validate(tokens.access).await;
    assert!(!revoked.active, "a logged-out token: {revoked:?}");
    assert!(!validate("not a token".into()).await.active);
    eprintln!(
        "consumer API over mutual TLS: ValidateToken active then inactive, BatchGetUsers public fields"
    );
}
