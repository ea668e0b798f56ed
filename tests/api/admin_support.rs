//! What the `/api/admin` tests share: a stack started with an initial admin (from
//! `INITIAL_ADMIN_*`), that admin's session, and requests with any method and token.
use crate::checks::json_body;
use crate::helpers::{TestApp, TestUser, Tokens};
use crate::jwt;
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "root.admin@example.com";
pub const ADMIN_USERNAME: &str = "rootadmin";
pub const ADMIN_PASSWORD: &str = "Quasar-Harbor-7731!";
pub const NOT_ADMIN: &str = "Not enough permissions";

/// `admin_test!(name, |app| async move { .. })`: `both_backends!` with the initial admin set.
macro_rules! admin_test {
    ($name:ident, |$app:ident| $body:expr) => {
        $crate::helpers::both_backends!(
            $name,
            env = [
                ("INITIAL_ADMIN_EMAIL", $crate::admin_support::ADMIN_EMAIL),
                (
                    "INITIAL_ADMIN_USERNAME",
                    $crate::admin_support::ADMIN_USERNAME
                ),
                (
                    "INITIAL_ADMIN_PASSWORD",
                    $crate::admin_support::ADMIN_PASSWORD
                ),
            ],
            |$app| $body
        );
    };
}
pub(crate) use admin_test;

/// Sends `method path` with an optional bearer token and JSON body.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("sending the request")
}

/// The user id a token was issued to.
pub fn user_id(tokens: &Tokens) -> i64 {
    jwt::claims(&tokens.access)["sub"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a numeric sub")
}

/// A logged-in admin and the requests they make.
pub struct Admin<'a> {
    pub app: &'a TestApp,
    pub tokens: Tokens,
    pub id: i64,
}

impl<'a> Admin<'a> {
    /// The initial admin's session.
    pub async fn initial(app: &'a TestApp) -> Admin<'a> {
        let body = json_body(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 200).await;
        Admin::with(app, Tokens::from_body(&body))
    }

    pub fn with(app: &'a TestApp, tokens: Tokens) -> Admin<'a> {
        let id = user_id(&tokens);
        Admin { app, tokens, id }
    }

    pub async fn get(&self, path: &str) -> Response {
        send(self.app, Method::GET, path, Some(&self.tokens.access), None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        send(self.app, Method::PUT, path, Some(&self.tokens.access), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        send(self.app, Method::DELETE, path, Some(&self.tokens.access), None).await
    }

    /// `PUT /api/admin/users/{id}`.
    pub async fn update(&self, id: i64, body: &Value) -> Response {
        self.put(&format!("/api/admin/users/{id}"), body).await
    }

    /// `PUT /api/admin/users/{id}/role`.
    pub async fn set_role(&self, id: i64, role: &str) -> Response {
        self.put(&format!("/api/admin/users/{id}/role"), &json!({ "role": role }))
            .await
    }

    /// `GET /api/admin/users?{query}`, asserting a 200.
    pub async fn list(&self, query: &str) -> Value {
        json_body(self.get(&format!("/api/admin/users?{query}")).await, 200).await
    }

    /// `GET /api/admin/audit-log?{query}`, asserting a 200.
    pub async fn audit(&self, query: &str) -> Value {
        json_body(self.get(&format!("/api/admin/audit-log?{query}")).await, 200).await
    }

    /// A new verified user made admin, logged in after the promotion.
    pub async fn second_admin(&self) -> (TestUser, Admin<'a>) {
        let (user, tokens) = self.app.verified_user().await;
        json_body(self.set_role(user_id(&tokens), "admin").await, 200).await;
        let tokens = self.app.login_ok(&user).await;
        (user, Admin::with(self.app, tokens))
    }
}

/// The emails of a listing's users, in order.
pub fn emails(listing: &Value) -> Vec<String> {
    listing["users"]
        .as_array()
        .expect("a users list")
        .iter()
        .map(|u| u["email"].as_str().expect("an email").to_owned())
        .collect()
}
