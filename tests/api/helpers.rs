//! The application under test: the real stack on port 0 with an isolated database and mail
//! directory, and the few requests every test needs.
use crate::checks::{assert_message, json_body};
use crate::database::PgDatabase;
use crate::mail::VERIFY_LINK;
pub use crate::users::{TestUser, Tokens};
use astro_auth::Stack;
use astro_common::Settings;
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};
use std::{collections::HashMap, future::Future, path::PathBuf, time::Duration};
use tokio::runtime::RuntimeFlavor;
use tokio_util::sync::CancellationToken;

/// The secrets the stack signs with, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-access-secret-for-the-api-suite";
pub const JWT_REFRESH_SECRET: &str = "test-refresh-secret-for-the-api-suite";
/// Strong enough for the zxcvbn policy.
pub const PASSWORD: &str = "TestPassword123!";
pub const OTHER_PASSWORD: &str = "Nebula-Drift-4417!";
pub const FRONTEND_URL: &str = "http://frontend.test";

/// Runs a test body once per database backend: `both_backends!(name, |app| async move { .. })`,
/// or with extra settings: `both_backends!(name, env = [("NAME", "value")], |app| ..)`.
macro_rules! both_backends {
    ($name:ident, $(env = [$($setting:expr),* $(,)?],)? |$app:ident| $body:expr) => {
        $crate::helpers::per_backend!($name, |backend| {
            let env: &[(&str, &str)] = &[$($($setting),*)?];
            $crate::helpers::run(backend, env, |$app| $body).await;
        });
    };
}
pub(crate) use both_backends;

/// `per_backend!(name, |backend| { .. })`: a module `name` with the tests `sqlite` and
/// `postgres`, each running the block with `backend` set to its [`Backend`].
macro_rules! per_backend {
    ($name:ident, |$backend:ident| $run:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::helpers::Backend::Sqlite;
                $run
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $backend = $crate::helpers::Backend::Postgres;
                $run
            }
        }
    };
}
pub(crate) use per_backend;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Starts an app on `backend` and hands it to `test`; the PostgreSQL run passes with a note
/// when `TEST_DATABASE_URL` is unset.
pub async fn run<F, Fut>(backend: Backend, env: &[(&str, &str)], test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    match TestApp::spawn(backend, env).await {
        Some(app) => test(app).await,
        None => eprintln!("skipped: TEST_DATABASE_URL is not set"),
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub mail_dir: PathBuf,
    /// Where the local avatar store writes (`AVATAR_DIR`).
    pub avatar_dir: PathBuf,
    /// The test's own database, for checks no HTTP route can make.
    pub database_url: String,
    stack: Option<Stack>,
    database: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// `None` for PostgreSQL when `TEST_DATABASE_URL` is unset.
    pub async fn spawn(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let (database_url, database) = match backend {
            Backend::Sqlite => (
                format!("sqlite:///{}", dir.path().join("astro.db").display()),
                None,
            ),
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
                let database = PgDatabase::create(&admin_url).await;
                (database.url.clone(), Some(database))
            }
        };
        let mail_dir = dir.path().join("mail");
        let avatar_dir = dir.path().join("avatars");
        let env: HashMap<String, String> = [
            ("DATABASE_URL", database_url.as_str()),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("MAIL_DIR", &mail_dir.display().to_string()),
            ("MAIL_POLL_INTERVAL_MS", "50"),
            ("MAIL_RETRY_BASE_MS", "100"),
            ("AVATAR_DIR", &avatar_dir.display().to_string()),
            ("FRONTEND_URL", FRONTEND_URL),
            ("JWT_SECRET", JWT_SECRET),
            ("JWT_REFRESH_SECRET", JWT_REFRESH_SECRET),
            ("ENVIRONMENT", "test"),
            ("RATE_LIMIT_PER_MINUTE", "100000"),
            ("LOGIN_RATE_LIMIT_PER_15MIN", "100000"),
            ("PASSWORD_RESET_RATE_LIMIT_PER_HOUR", "100000"),
            ("LOGIN_FAILURES_PER_ACCOUNT_15MIN", "100000"),
        ]
        .into_iter()
        .chain(overrides.iter().copied())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        let settings = Settings::from_lookup(|name| env.get(name).cloned()).expect("test settings");
        let stack = Stack::start(settings, CancellationToken::new())
            .await
            .expect("starting the stack");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("building the HTTP client");
        Some(TestApp {
            address: format!("http://{}", stack.http_addr()),
            client,
            mail_dir,
            avatar_dir,
            database_url,
            stack: Some(stack),
            database,
            _dir: dir,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The settings the stack runs with, the services' actual addresses included.
    pub fn settings(&self) -> &Settings {
        self.stack.as_ref().expect("a running stack").settings()
    }

    /// The running stack, to stop and restart one of its services.
    pub fn stack_mut(&mut self) -> &mut Stack {
        self.stack.as_mut().expect("a running stack")
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        send(self.post(path).json(body)).await
    }

    /// A GET, with `Authorization: Bearer <token>` when a token is given.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        send(with_token(self.client.get(self.url(path)), token)).await
    }

    /// POST /api/auth/logout, with `Authorization: Bearer <token>` when a token is given.
    pub async fn logout(&self, access_token: Option<&str>) -> Response {
        send(with_token(self.post("/api/auth/logout"), access_token)).await
    }

    pub async fn profile(&self, access_token: &str) -> Response {
        self.get("/api/user/profile", Some(access_token)).await
    }

    pub async fn register(&self, user: &TestUser) -> Response {
        self.post_json("/api/auth/register", &user.registration()).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/api/auth/login", &json!({"email": email, "password": password}))
            .await
    }

    /// Logs in and returns the token pair, asserting success.
    pub async fn login_ok(&self, user: &TestUser) -> Tokens {
        Tokens::from_body(&json_body(self.login(&user.email, &user.password).await, 200).await)
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/api/auth/refresh", &json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn refresh_ok(&self, refresh_token: &str) -> Tokens {
        Tokens::from_body(&json_body(self.refresh(refresh_token).await, 200).await)
    }

    pub async fn verify_email(&self, token: &str) -> Response {
        self.post_json("/api/auth/verify-email", &json!({"token": token}))
            .await
    }

    pub async fn forgot_password(&self, email: &str) -> Response {
        self.post_json("/api/auth/forgot-password", &json!({"email": email}))
            .await
    }

    pub async fn reset_password(&self, token: &str, new_password: &str) -> Response {
        let body = json!({"token": token, "new_password": new_password});
        self.post_json("/api/auth/reset-password", &body).await
    }

    /// A new user, registered and logged in, whose email is not verified.
    pub async fn unverified_user(&self) -> (TestUser, Tokens) {
        let user = TestUser::random();
        json_body(self.register(&user).await, 200).await;
        let tokens = self.login_ok(&user).await;
        (user, tokens)
    }

    /// A new user, registered, verified through the emailed link, and logged in.
    pub async fn verified_user(&self) -> (TestUser, Tokens) {
        let user = TestUser::random();
        json_body(self.register(&user).await, 200).await;
        let token = self.wait_for_token(&user.email, VERIFY_LINK, 1).await;
        assert_message(self.verify_email(&token).await, "Email verified successfully").await;
        let tokens = self.login_ok(&user).await;
        (user, tokens)
    }
}

fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("sending the request")
}

impl Drop for TestApp {
    /// Stops the stack, then drops the PostgreSQL database, on a thread with a runtime of its
    /// own (`Drop` cannot await; the test's runtime may already be unwinding a panic).
    fn drop(&mut self) {
        let stack = self.stack.take();
        let database = self.database.take();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            runtime.expect("a cleanup runtime").block_on(async move {
                if let Some(stack) = stack {
                    let stopped = tokio::time::timeout(Duration::from_secs(10), stack.stop()).await;
                    if stopped.is_err() {
                        eprintln!("the stack did not stop within 10 s");
                    }
                }
                if let Some(database) = database {
                    database.drop().await;
                }
            });
        });
        let join = || cleanup.join().expect("cleaning up the test app");
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(join)
            }
            _ => join(),
        }
    }
}
