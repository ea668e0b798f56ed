//! JWT hardening beyond tests/api/tokens.rs: issuer, audience and type are required and must
//! match, oversized tokens are refused unread, and production refuses weak signing secrets.
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use astro_auth::Stack;
use astro_platform::{Settings, config::Config as _};
use serde_json::{Value, json};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// The claims of `token` with `change` applied, re-signed with the real key.
fn resigned(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = jwt::claims(token);
    change(&mut claims);
    jwt::sign(&claims, JWT_SECRET)
}

fn without(claim: &str) -> impl FnOnce(&mut Value) {
    move |claims| drop(claims.as_object_mut().unwrap().remove(claim))
}

both_backends!(
    wrong_or_missing_issuer_audience_or_type_is_401,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        // The control: the same claims re-signed unchanged are accepted.
        json_body(app.profile(&resigned(&tokens.access, |_| {})).await, 200).await;
        for claim in ["iss", "aud"] {
            let token = resigned(&tokens.access, |c| c[claim] = json!("someone-else"));
            assert_invalid_credentials(app.profile(&token).await).await;
        }
        for claim in ["iss", "aud", "type"] {
            let token = resigned(&tokens.access, without(claim));
            assert_invalid_credentials(app.profile(&token).await).await;
        }
    }
);

both_backends!(oversized_token_is_401, |app| async move {
    let (_, tokens) = app.verified_user().await;
    // Unknown claims are ignored, so padding alone decides: under 4 KiB passes, over fails.
    let token = resigned(&tokens.access, |c| c["pad"] = json!("x".repeat(2000)));
    json_body(app.profile(&token).await, 200).await;
    let token = resigned(&tokens.access, |c| c["pad"] = json!("x".repeat(4096)));
    assert!(token.len() > 4096);
    let started = Instant::now();
    assert_invalid_credentials(app.profile(&token).await).await;
    eprintln!("oversized token refused in {:?}", started.elapsed());
});

/// Test settings with `ENVIRONMENT=production` and these secrets.
fn production(secret: Option<&str>) -> Result<Settings, astro_platform::config::ConfigError> {
    Settings::from_lookup(|name| match name {
        "ENVIRONMENT" => Some("production".into()),
        "JWT_SECRET" | "JWT_REFRESH_SECRET" => secret.map(str::to_owned),
        "DATA_ENCRYPTION_KEY" => Some(DATA_KEY.into()),
        _ => None,
    })
}

#[test]
fn production_refuses_default_and_short_secrets() {
    assert!(production(None).is_err(), "the default secret");
    let short = "s".repeat(31);
    assert!(production(Some(&short)).is_err(), "a 31-byte secret");
    assert!(production(Some(&"s".repeat(32))).is_ok(), "a 32-byte secret");
}

#[tokio::test]
async fn production_stack_refuses_short_secrets_built_in_code() {
    let mut settings = production(Some(&"s".repeat(32))).unwrap();
    settings.jwt.secret = "s".repeat(31).into();
    // Nothing is bound or migrated: the database URL points nowhere.
    settings.database.url = "postgres://nobody@127.0.0.1:1/none".into();
    let started = Stack::start(settings, CancellationToken::new()).await;
    assert!(started.is_err(), "a stack started with a 31-byte secret");
}

/// Base64 of 32 bytes: production requires `DATA_ENCRYPTION_KEY`.
const DATA_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECRET_32: &str = "0123456789abcdef0123456789abcdef";
const REFRESH_SECRET_32: &str = "fedcba9876543210fedcba9876543210";

both_backends!(
    production_starts_with_32_byte_secrets,
    env = [
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", SECRET_32),
        ("JWT_REFRESH_SECRET", REFRESH_SECRET_32),
        ("DATA_ENCRYPTION_KEY", DATA_KEY),
    ],
    |app| async move {
        let health = json_body(app.get("/health", None).await, 200).await;
        assert_eq!(health, json!({"status": "healthy", "environment": "production"}));
        let (user, tokens) = app.verified_user().await;
        assert_user(&json_body(app.profile(&tokens.access).await, 200).await, &user);
    }
);
