//! Starts the real service on `127.0.0.1:0` over a fresh database (a temp SQLite file, or a
//! new PostgreSQL database when `TEST_DATABASE_URL` is set) and hands the test a gRPC client.
use astro_common::Settings;
use astro_proto::user::v1::{CreateUserRequest, User, user_service_client::UserServiceClient};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::future::Future;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use user_service::UserApp;

pub type Client = UserServiceClient<Channel>;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What to remove once the test is over.
enum Scratch {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// Runs `body` against a freshly started service on `backend`, then tears everything down,
/// also when `body` panics. PostgreSQL tests pass trivially without `TEST_DATABASE_URL`.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (database_url, scratch) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite:///{}", dir.path().join("users.db").display());
            (url, Scratch::Dir(dir))
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                eprintln!("TEST_DATABASE_URL not set: skipping the PostgreSQL run");
                return;
            };
            let name = format!("us_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::connect(&admin_url)
                .await
                .expect("connect TEST_DATABASE_URL");
            conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("create test database");
            conn.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            (format!("{base}/{name}"), Scratch::Postgres { admin_url, name })
        }
    };
    let settings =
        Settings::from_lookup(|key| (key == "DATABASE_URL").then(|| database_url.clone())).expect("settings");
    let app = UserApp::build(&settings).await.expect("build user service");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.serve(listener, shutdown.clone()));
    let client = UserServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");

    let outcome = tokio::spawn(body(client)).await;

    shutdown.cancel();
    server
        .await
        .expect("server task")
        .expect("server stopped cleanly");
    if let Scratch::Postgres { admin_url, name } = scratch {
        let mut conn = PgConnection::connect(&admin_url).await.expect("reconnect");
        conn.execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .expect("drop test database");
    }
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Each test body runs once per backend: `mod sqlite` and `mod postgres` get one test each.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::run($crate::helpers::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::helpers::run($crate::helpers::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

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
