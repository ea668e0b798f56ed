//! The application under test: the real stack on port 0 with an isolated database and mail
//! directory, and the few requests every test needs.
use crate::checks::{assert_message, json_body};
use astro_auth::Stack;
use astro_platform::{Settings, config::Config as _, time::Clock};
use astro_store::Db;
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};
use std::{collections::HashMap, future::Future, path::PathBuf, time::Duration};
pub use testkit::{Backend, FRONTEND_URL, PASSWORD, TestUser, Tokens};
use testkit::{
    ScratchDb,
    mail::{MailDir, VERIFY_LINK},
};
use tokio_util::sync::CancellationToken;

/// The secrets the stack signs with, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-access-secret-for-the-api-suite";
pub const JWT_REFRESH_SECRET: &str = "test-refresh-secret-for-the-api-suite";
/// Strong enough for the zxcvbn policy, and not [`PASSWORD`].
pub const OTHER_PASSWORD: &str = "Nebula-Drift-4417!";

/// Runs a test body once per database backend: `both_backends!(name, |app| async move { .. })`,
/// or with extra settings: `both_backends!(name, env = [("NAME", "value")], |app| ..)`.
macro_rules! both_backends {
    ($name:ident, $($test:tt)*) => {
        $crate::helpers::app_tests!($crate::helpers::run, $name, $($test)*);
    };
}
pub(crate) use both_backends;

/// `app_tests!(run, name, env = [..], |app| body)`: the tests `name::sqlite` and
/// `name::postgres`, each calling `run(backend, env, |app| body)`; `run` starts the app.
macro_rules! app_tests {
    ($run:path, $name:ident, $(env = [$($setting:expr),* $(,)?],)? |$app:ident| $body:expr) => {
        testkit::per_backend!($name, |backend| {
            let env: &[(&str, &str)] = &[$($($setting),*)?];
            $run(backend, env, |$app| $body).await;
        });
    };
}
pub(crate) use app_tests;

/// Starts an app on `backend` and hands it to `test`; the PostgreSQL run passes with a note
/// when `TEST_DATABASE_URL` is unset.
pub async fn run<F, Fut>(backend: Backend, env: &[(&str, &str)], test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = TestApp::spawn(backend, env).await {
        test(app).await;
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The mail the stack writes (`MAIL_DIR`).
    pub mail: MailDir,
    /// Where the local avatar store writes (`AVATAR_DIR`).
    pub avatar_dir: PathBuf,
    /// The clock the auth rules read (TOTP steps, recent authentication): shift it to reach a
    /// time step or an expiry without sleeping.
    pub clock: Clock,
    stack: Option<Stack>,
    database: Option<ScratchDb>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// `None` for PostgreSQL when `TEST_DATABASE_URL` is unset.
    pub async fn spawn(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
        let database = ScratchDb::create(backend, "astro").await?;
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let mail_dir = dir.path().join("mail");
        let avatar_dir = dir.path().join("avatars");
        let env: HashMap<String, String> = [
            ("DATABASE_URL", database.url()),
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
        let clock = settings.clock.clone();
        let stack = Stack::start(settings, CancellationToken::new())
            .await
            .expect("starting the stack");
        Some(TestApp {
            address: format!("http://{}", stack.http_addr()),
            client: testkit::http_client(),
            mail: MailDir::new(mail_dir),
            avatar_dir,
            clock,
            stack: Some(stack),
            database: Some(database),
            _dir: dir,
        })
    }

    /// A pool on the test's own database, for checks no HTTP route can make.
    pub async fn db(&self) -> Db {
        self.database
            .as_ref()
            .expect("the test's database")
            .connect()
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The settings the stack runs with, the services' actual addresses included.
    pub fn settings(&self) -> &Settings {
        self.stack.as_ref().expect("a running stack").settings()
    }

    /// The running stack.
    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("a running stack")
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

    /// `DELETE /api/user/sessions/{id}` as the holder of `access`.
    pub async fn end_session(&self, access: &str, id: &str) -> Response {
        let request = self.client.delete(self.url(&format!("/api/user/sessions/{id}")));
        send(request.bearer_auth(access)).await
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
        let token = self.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
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
    /// Stops the stack, then drops its database: however the test ends, nothing is left.
    fn drop(&mut self) {
        let stack = self.stack.take();
        let database = self.database.take();
        testkit::await_in_drop(async move {
            if let Some(stack) = stack {
                let stopped = tokio::time::timeout(Duration::from_secs(10), stack.stop()).await;
                if stopped.is_err() {
                    eprintln!("the stack did not stop within 10 s");
                }
            }
            if let Some(database) = database {
                database.remove().await;
            }
        });
    }
}

/// Why the stack refuses to start on a fresh SQLite database with `extra` settings (it must).
pub async fn start_refusal(extra: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite:///{}", dir.path().join("astro.db").display());
    let mail = dir.path().join("mail").display().to_string();
    let base = [
        ("DATABASE_URL", url.as_str()),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("MAIL_DIR", mail.as_str()),
    ];
    let env: HashMap<&str, &str> = base.into_iter().chain(extra.iter().copied()).collect();
    let settings = Settings::from_lookup(|name| env.get(name).map(|v| v.to_string())).expect("settings");
    let started = Stack::start(settings, CancellationToken::new()).await;
    format!("{:#}", started.err().expect("the start must fail"))
}
