//! The consumer API other internal services call (`auth.v1.TokenService`,
//! `user.v1.UserDirectory`): what a token is worth now, and users' public fields. Who may call
//! it over mutual TLS is in the multi-process test; here, what it answers.
use crate::admin_support::{Admin, admin_test, user_id};
use crate::checks::*;
use crate::helpers::*;
use astro_auth::Service;
use astro_proto::auth::v1::{
    TokenValidation, ValidateTokenRequest, token_service_client::TokenServiceClient,
};
use astro_proto::user::v1::{
    BatchGetUsersRequest, GetUserRequest, Role, user_directory_client::UserDirectoryClient,
};
use serde_json::json;
use tonic::Code;

/// Development certificates for the one-process binary (`astro-auth`) and a consumer
/// (`billing`), in a temporary directory, and the settings that serve the consumer API with
/// them on a free port.
pub struct ConsumerApiCerts {
    pub dir: tempfile::TempDir,
    cert: String,
    key: String,
    ca: String,
}

impl ConsumerApiCerts {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let names = ["astro-auth", "billing"].map(String::from);
        astro_auth::certs::write(dir.path(), &names).expect("development certificates");
        let file = |name: &str| dir.path().join(name).display().to_string();
        let (cert, key, ca) = (file("astro-auth.pem"), file("astro-auth-key.pem"), file("ca.pem"));
        ConsumerApiCerts { dir, cert, key, ca }
    }

    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn settings(&self) -> [(&str, &str); 4] {
        [
            ("INTERNAL_GRPC_ADDR", "127.0.0.1:0"),
            ("GRPC_TLS_CERT", &self.cert),
            ("GRPC_TLS_KEY", &self.key),
            ("GRPC_TLS_CA", &self.ca),
        ]
    }
}

async fn validate(app: &TestApp, token: &str) -> TokenValidation {
    TokenServiceClient::new(app.stack().channel(Service::Auth))
        .validate_token(ValidateTokenRequest {
            token: token.to_owned(),
        })
        .await
        .expect("ValidateToken answers, active or not")
        .into_inner()
}

admin_test!(validate_token_reports_a_token_as_it_is_now, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    let claims = crate::jwt::claims(&tokens.access);
    let valid = validate(&app, &tokens.access).await;
    assert_eq!(
        valid,
        TokenValidation {
            active: true,
            user_id: id,
            sid: claims["sid"].as_str().unwrap().to_owned(),
            jti: claims["jti"].as_str().unwrap().to_owned(),
            exp: claims["exp"].as_i64().unwrap(),
            role: Role::User as i32,
            email_verified: true,
            aal: 1,
            auth_time: claims["auth_time"].as_i64().unwrap(),
        }
    );
    assert!(valid.auth_time <= claims["iat"].as_i64().unwrap());
    // A refresh keeps the time of the login.
    let refreshed = app.refresh_ok(&tokens.refresh).await;
    let again = validate(&app, &refreshed.access).await;
    assert!(again.active);
    assert_eq!(again.auth_time, valid.auth_time);

    // Dead tokens are inactive, with nothing else said: garbage, a refresh token, logged out.
    for token in ["garbage", tokens.refresh.as_str(), ""] {
        assert_eq!(validate(&app, token).await, TokenValidation::default(), "{token}");
    }
    json_body(app.logout(Some(&refreshed.access)).await, 200).await;
    assert_eq!(
        validate(&app, &refreshed.access).await,
        TokenValidation::default()
    );

    // A disabled user's tokens are inactive.
    let admin = Admin::initial(&app).await;
    let fresh = app.login_ok(&user).await;
    json_body(admin.update(id, &json!({"is_active": false})).await, 200).await;
    assert!(!validate(&app, &fresh.access).await.active);
});

both_backends!(the_directory_reads_public_fields_only, |app| async move {
    let (first, tokens) = app.verified_user().await;
    let (second, other) = app.unverified_user().await;
    let (a, b) = (user_id(&tokens), user_id(&other));
    let mut directory = UserDirectoryClient::new(app.stack().channel(Service::User));
    let one = directory
        .get_user(GetUserRequest { id: a })
        .await
        .expect("an existing user")
        .into_inner();
    assert_eq!(
        (one.email.as_str(), one.username.as_str()),
        (first.email.as_str(), first.username.as_str())
    );
    let missing = directory.get_user(GetUserRequest { id: i64::MAX }).await;
    assert_eq!(missing.unwrap_err().code(), Code::NotFound);

    let batch = directory
        .batch_get_users(BatchGetUsersRequest {
            ids: vec![b, i64::MAX, a],
        })
        .await
        .expect("a batch")
        .into_inner()
        .users;
    let emails: Vec<&str> = batch.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        [second.email.as_str(), first.email.as_str()],
        "asked order, unknown left out"
    );
    assert!(!batch[0].is_verified && batch[1].is_verified);

    let too_many = directory
        .batch_get_users(BatchGetUsersRequest {
            ids: (1..=101).collect(),
        })
        .await;
    assert_eq!(too_many.unwrap_err().code(), Code::InvalidArgument);
});

/// The one-process binary serves the consumer API on `INTERNAL_GRPC_ADDR` only with mutual
/// TLS, and nothing else there: a certified consumer validates tokens and reads the directory,
/// an internal RPC is not served, a caller without a certificate gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_process_binary_serves_the_consumer_api_on_its_own_address() {
    let certs = ConsumerApiCerts::new();
    let ca = certs.file("ca.pem");
    let app = TestApp::spawn(Backend::Sqlite, &certs.settings())
        .await
        .expect("SQLite always runs");
    let addr = app.stack().internal_api_addr().expect("the consumer API listens");
    let (_, tokens) = app.verified_user().await;

    let connect = |identity: Option<&str>| {
        let ca = tonic::transport::Certificate::from_pem(std::fs::read(&ca).unwrap());
        let mut tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(ca)
            .domain_name("astro-auth");
        if let Some(name) = identity {
            let read = |f: String| std::fs::read(certs.file(&f)).unwrap();
            tls = tls.identity(tonic::transport::Identity::from_pem(
                read(format!("{name}.pem")),
                read(format!("{name}-key.pem")),
            ));
        }
        tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
    };
    let billing = connect(Some("billing"))
        .connect()
        .await
        .expect("a certified consumer connects");
    let valid = TokenServiceClient::new(billing.clone())
        .validate_token(ValidateTokenRequest {
            token: tokens.access.clone(),
        })
        .await
        .expect("ValidateToken is served")
        .into_inner();
    assert!(valid.active, "{valid:?}");
    let me = UserDirectoryClient::new(billing.clone())
        .get_user(GetUserRequest { id: valid.user_id })
        .await
        .expect("the directory is served");
    assert_eq!(me.into_inner().id, valid.user_id);
    // Nothing else is reachable there: the allow-list names only the consumer API.
    let hash = astro_proto::user::v1::user_service_client::UserServiceClient::new(billing)
        .get_credentials(GetUserRequest { id: valid.user_id })
        .await
        .expect_err("credentials are not served to consumers");
    assert_eq!(hash.code(), Code::PermissionDenied, "{hash:?}");
    // Without a client certificate: no connection, or no answer.
    let anonymous = match connect(None).connect().await {
        Err(_) => None,
        Ok(channel) => Some(
            TokenServiceClient::new(channel)
                .validate_token(ValidateTokenRequest { token: tokens.access })
                .await,
        ),
    };
    assert!(
        !matches!(anonymous, Some(Ok(_))),
        "a caller without a certificate was answered: {anonymous:?}"
    );
}

/// `INTERNAL_GRPC_ADDR` without `GRPC_TLS_*` stops the start: never a plaintext consumer API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_api_refuses_to_start_without_mutual_tls() {
    let refusal = start_refusal(&[("INTERNAL_GRPC_ADDR", "127.0.0.1:0")]).await;
    assert!(refusal.contains("GRPC_TLS_CERT"), "{refusal}");
}
