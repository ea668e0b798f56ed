//! Starts the real service on `127.0.0.1:0` over a fresh database (a temp SQLite file, or a
//! new PostgreSQL database when `TEST_DATABASE_URL` is set) and hands the test a gRPC client.
use astro_platform::config::Config as _;
use astro_platform::{
    Settings,
    grpc::{GrpcChannel, Peer, Plane},
};
use astro_proto::user::v1::{CreateUserRequest, User, user_service_client::UserServiceClient};
use std::future::Future;
use testkit::{Backend, ScratchDb};
use tokio_util::sync::CancellationToken;

use user_service::UserApp;

pub type Client = UserServiceClient<GrpcChannel>;

/// Runs `body` against a freshly started service on `backend`, then tears everything down,
/// also when `body` panics. PostgreSQL tests pass trivially without `TEST_DATABASE_URL`.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = ScratchDb::create(backend, "us").await else {
        return;
    };
    let settings = Settings::from_lookup(|key| (key == "DATABASE_URL").then(|| database.url().to_owned()))
        .expect("settings");
    let app = UserApp::build(&(&settings).into())
        .await
        .expect("build user service");
    let plane = Plane::in_process();
    let listener = plane.listen(Peer::User, &settings.process).await.expect("listen");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.serve(listener, shutdown.clone()));
    let client = UserServiceClient::new(plane.channel(Peer::User).expect("a channel"));

    let outcome = tokio::spawn(body(client)).await;

    shutdown.cancel();
    server
        .await
        .expect("server task")
        .expect("server stopped cleanly");
    database.remove().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// A valid create request for `name` (`name@example.com`, username `name`).
pub fn new_user(name: &str) -> CreateUserRequest {
    CreateUserRequest {
        email: format!("{name}@example.com"),
        username: name.to_owned(),
        password_hash: format!("$argon2id$hash-of-{name}"),
        ..Default::default()
    }
}

/// Creates `name` and returns it.
pub async fn create(client: &mut Client, request: CreateUserRequest) -> User {
    client
        .create_user(request)
        .await
        .expect("create user")
        .into_inner()
}

/// A timestamp as comparable microseconds (prost's `Timestamp` has no ordering).
pub fn micros(ts: Option<astro_proto::Timestamp>) -> i64 {
    let ts = ts.expect("timestamp set");
    ts.seconds * 1_000_000 + i64::from(ts.nanos / 1000)
}

/// A request naming user `id`.
pub fn get(id: i64) -> astro_proto::user::v1::GetUserRequest {
    astro_proto::user::v1::GetUserRequest { id }
}
