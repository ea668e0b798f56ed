//! Assertions on responses, in the contract's terms.
use crate::helpers::TestUser;
use reqwest::Response;
use serde_json::{Value, json};

pub const INVALID_CREDENTIALS: &str = "Could not validate credentials";
pub const INVALIDATED: &str = "Token has been invalidated";

/// Asserts the status and returns the raw body.
pub async fn text_body(response: Response, status: u16) -> String {
    let (actual, url) = (response.status().as_u16(), response.url().clone());
    let text = response.text().await.expect("reading the body");
    assert_eq!(actual, status, "unexpected status from {url}; body: {text}");
    text
}

/// Asserts the status and returns the JSON body.
pub async fn json_body(response: Response, status: u16) -> Value {
    let text = text_body(response, status).await;
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("body is not JSON ({err}): {text}"))
}

/// Asserts an error response: exactly `{"detail": detail}` with this status.
pub async fn assert_detail(response: Response, status: u16, detail: &str) {
    assert_eq!(json_body(response, status).await, json!({ "detail": detail }));
}

/// Asserts a 200 with exactly `{"message": message}`.
pub async fn assert_message(response: Response, message: &str) {
    assert_eq!(json_body(response, 200).await, json!({ "message": message }));
}

/// Asserts a 401 `Could not validate credentials` carrying `WWW-Authenticate: Bearer`.
pub async fn assert_invalid_credentials(response: Response) {
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let url = response.url().clone();
    assert_detail(response, 401, INVALID_CREDENTIALS).await;
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer"),
        "WWW-Authenticate on the 401 from {url}"
    );
}

/// Asserts a 401 whose detail is one of `allowed`.
pub async fn assert_unauthorized_with_one_of(response: Response, allowed: &[&str]) {
    let body = json_body(response, 401).await;
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(allowed.contains(&detail), "detail {body} is none of {allowed:?}");
}

/// One entry of a 422 `detail` list, and the raw body (to check nothing secret is echoed).
pub struct Rejection {
    pub error: Value,
    pub raw: String,
}

/// Asserts a 422 in FastAPI's shape with an entry at `loc` of type `kind`.
pub async fn assert_validation(response: Response, loc: &[&str], kind: &str) -> Rejection {
    let rejection = assert_rejected_field(response, loc).await;
    assert_eq!(rejection.error["type"], kind, "error type in {}", rejection.raw);
    rejection
}

/// Asserts a 422 in FastAPI's shape with an entry at `loc`, of any type.
pub async fn assert_rejected_field(response: Response, loc: &[&str]) -> Rejection {
    let raw = text_body(response, 422).await;
    let body: Value = serde_json::from_str(&raw).unwrap_or_else(|err| panic!("not JSON ({err}): {raw}"));
    let errors = body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("detail is not a list: {raw}"));
    for error in errors {
        assert!(
            error["type"].is_string() && error["msg"].is_string(),
            "malformed error {error}"
        );
        assert!(error["loc"].is_array(), "malformed loc in {error}");
    }
    let error = errors
        .iter()
        .find(|error| error["loc"] == json!(loc))
        .unwrap_or_else(|| panic!("no error at {loc:?} in {raw}"))
        .clone();
    Rejection { error, raw }
}

impl Rejection {
    /// The secret the client sent appears nowhere in the response.
    pub fn assert_not_echoed(&self, secret: &str) {
        assert!(
            !self.raw.contains(secret),
            "the response echoes {secret:?}: {}",
            self.raw
        );
    }
}

/// An RFC 3339 UTC timestamp written with `Z`.
pub fn assert_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is not a string: {value}"));
    assert!(text.ends_with('Z'), "timestamp {text} does not end with Z");
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|err| panic!("{text}: {err}"));
}

/// A `UserResponse` for a verified, active, plain user registered as `expected`.
pub fn assert_user(user: &Value, expected: &TestUser) {
    assert!(user["id"].is_i64(), "id is not an integer: {user}");
    assert_eq!(user["email"], expected.email.as_str());
    assert_eq!(user["username"], expected.username.as_str());
    assert_eq!(user["role"], "user");
    assert_eq!(user["is_verified"], true);
    assert_eq!(user["is_active"], true);
    for nullable in ["first_name", "last_name", "avatar_url", "last_login_at"] {
        assert!(user.get(nullable).is_some(), "{nullable} missing from {user}");
    }
    assert_eq!(user["avatar_url"], Value::Null);
    assert_timestamp(&user["created_at"]);
    assert_timestamp(&user["updated_at"]);
    if !user["last_login_at"].is_null() {
        assert_timestamp(&user["last_login_at"]);
    }
    assert!(
        user.get("password").is_none() && user.get("hashed_password").is_none(),
        "{user}"
    );
}
