//! Reading and forging JWTs, to attack the server with tokens it did not mint.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

/// The payload of a token, unverified.
pub fn claims(token: &str) -> Value {
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("payload is base64url");
    serde_json::from_slice(&bytes).expect("payload is JSON")
}

/// `claims` signed with HS256 and `secret`.
pub fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signing")
}

/// `claims` under the header `{"alg":"none"}` with an empty signature.
pub fn unsigned(claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    format!("{}.{}.", encoded(&header), encoded(claims))
}

/// `token` with its payload replaced by `claims`, keeping the original signature.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], encoded(claims), parts[2])
}

fn encoded(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("serialising"))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
