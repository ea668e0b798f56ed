//! What the two-factor tests share: RFC 6238 codes computed here, independently of the
//! server's code, the stack's clock moved to a known time step, an enrolled user, and the
//! requests of the MFA routes.
use crate::checks::json_body;
use crate::helpers::{TestApp, TestUser, Tokens};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Response;
use serde_json::{Value, json};
use sha1::Sha1;

pub const STEP: i64 = 30;
pub const INVALID_CODE: &str = "Invalid code";
pub const BAD_MFA_TOKEN: &str = "Invalid or expired MFA token";
pub const RECENT_AUTH: &str = "Recent authentication required";

/// The six-digit TOTP code of `step` for a base32 secret (RFC 6238, HMAC-SHA-1).
pub fn totp(secret_base32: &str, step: i64) -> String {
    code(&base32_decode(secret_base32), step)
}

fn code(key: &[u8], step: i64) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(&(step as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.trim_end_matches('=').chars() {
        let value = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            '2'..='7' => c as u32 - '2' as u32 + 26,
            other => panic!("not base32: {other}"),
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The RFC's own vectors (appendix B, SHA-1; the last six of its eight digits).
#[test]
fn the_test_totp_meets_rfc_6238() {
    let key = b"12345678901234567890";
    for (time, eight) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(code(key, time / STEP), eight[2..]);
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
}

/// The time step the stack is in now.
pub fn step_now(app: &TestApp) -> i64 {
    app.clock.now_secs().div_euclid(STEP)
}

/// Moves the stack's clock to one second into the next time step, so a test has 29 seconds
/// before the step changes under it.
pub fn align_to_step(app: &TestApp) {
    let into = app.clock.now_secs().rem_euclid(STEP);
    app.clock.shift(STEP - into + 1);
}

/// Moves the stack's clock `steps` whole steps on.
pub fn advance_steps(app: &TestApp, steps: i64) {
    app.clock.shift(steps * STEP);
}

/// A verified user with an active TOTP factor (its activation used the step it is in now).
pub struct MfaUser {
    pub user: TestUser,
    pub tokens: Tokens,
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl MfaUser {
    /// The code of the step the stack is in, `offset` steps away.
    pub fn code(&self, app: &TestApp, offset: i64) -> String {
        totp(&self.secret, step_now(app) + offset)
    }
}

pub async fn post_with(app: &TestApp, path: &str, access: &str, body: &Value) -> Response {
    app.post(path)
        .bearer_auth(access)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn delete_with(app: &TestApp, path: &str, access: &str, body: &Value) -> Response {
    let request = app.client.delete(app.url(path)).bearer_auth(access).json(body);
    request.send().await.unwrap()
}

/// `POST /api/user/mfa/totp`: the pending factor's answer.
pub async fn start_totp(app: &TestApp, access: &str) -> Value {
    json_body(
        post_with(app, "/api/user/mfa/totp", access, &json!({})).await,
        200,
    )
    .await
}

pub async fn activate(app: &TestApp, access: &str, code: &str) -> Response {
    post_with(app, "/api/user/mfa/totp/verify", access, &json!({ "code": code })).await
}

/// A new verified user who turned two-factor authentication on.
pub async fn enrolled_user(app: &TestApp) -> MfaUser {
    let (user, tokens) = app.verified_user().await;
    let secret = start_totp(app, &tokens.access).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    align_to_step(app);
    let body = json_body(
        activate(app, &tokens.access, &totp(&secret, step_now(app))).await,
        200,
    )
    .await;
    let recovery_codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    MfaUser {
        user,
        tokens,
        secret,
        recovery_codes,
    }
}

/// Logs in with the password; asserts the challenge (and no tokens) and answers its token.
pub async fn mfa_token(app: &TestApp, user: &TestUser) -> String {
    let body = json_body(app.login(&user.email, &user.password).await, 200).await;
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    body["mfa_token"].as_str().unwrap().to_owned()
}

/// `POST /api/auth/mfa/verify` with a TOTP code.
pub async fn verify(app: &TestApp, mfa_token: &str, code: &str) -> Response {
    let body = json!({ "mfa_token": mfa_token, "code": code });
    app.post_json("/api/auth/mfa/verify", &body).await
}

/// `POST /api/auth/mfa/verify` with a recovery code.
pub async fn verify_recovery(app: &TestApp, mfa_token: &str, recovery_code: &str) -> Response {
    let body = json!({ "mfa_token": mfa_token, "recovery_code": recovery_code });
    app.post_json("/api/auth/mfa/verify", &body).await
}

/// A full login of an enrolled user with the code of the next step; the pair (level 2).
pub async fn login_with_code(app: &TestApp, user: &MfaUser) -> Tokens {
    advance_steps(app, 1);
    let token = mfa_token(app, &user.user).await;
    Tokens::from_body(&json_body(verify(app, &token, &user.code(app, 0)).await, 200).await)
}

/// `POST /api/auth/reauthenticate`.
pub async fn reauthenticate(app: &TestApp, access: &str, password: &str, code: Option<&str>) -> Response {
    let mut body = json!({ "password": password });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    post_with(app, "/api/auth/reauthenticate", access, &body).await
}

/// Asserts RFC 9470's answer: 401, the detail, and the challenge with `max_age`.
pub async fn assert_step_up(response: Response, max_age: u64) {
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        challenge,
        format!("Bearer error=\"insufficient_user_authentication\", max_age={max_age}")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "detail": RECENT_AUTH }));
}

/// Waits until the audit log (read by `admin_access`) has an event `action` about `user_id`.
pub async fn wait_for_audit(app: &TestApp, admin_access: &str, action: &str, user_id: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let path = format!("/api/admin/audit-log?action={action}&user_id={user_id}&per_page=100");
        let log = json_body(app.get(&path, Some(admin_access)).await, 200).await;
        if let Some(event) = log["events"].as_array().and_then(|e| e.first()) {
            return event.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {action} event for {user_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
