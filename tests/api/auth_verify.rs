//! POST /api/auth/verify-email and POST /api/auth/resend-verification
use crate::checks::*;
use crate::helpers::*;
use serde_json::json;
use testkit::mail::{RESET_LINK, VERIFY_LINK};

const VERIFIED: &str = "Email verified successfully";
const BAD_TOKEN: &str = "Invalid or expired verification token";
const RESENT: &str = "If an unverified account with that email exists, verification email has been sent.";

async fn resend(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/api/auth/resend-verification", &json!({"email": email}))
        .await
}

/// Mail is delivered in order: once a reset mail to a fresh user arrived, any mail
/// triggered before it would have too.
async fn wait_for_later_mail(app: &TestApp) {
    let (witness, _) = app.unverified_user().await;
    json_body(app.forgot_password(&witness.email).await, 200).await;
    app.mail.wait_for_token(&witness.email, RESET_LINK, 1).await;
}

both_backends!(verification_link_verifies_once, |app| async move {
    let (user, tokens) = app.unverified_user().await;
    let token = app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    assert_message(app.verify_email(&token).await, VERIFIED).await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["is_verified"], true);
    assert_detail(app.verify_email(&token).await, 400, BAD_TOKEN).await;
});

both_backends!(random_verification_token_is_400, |app| async move {
    let random = "x".repeat(43);
    assert_detail(app.verify_email(&random).await, 400, BAD_TOKEN).await;
    assert_detail(app.verify_email("short").await, 400, BAD_TOKEN).await;
});

both_backends!(resend_replaces_the_link, |app| async move {
    let (user, _) = app.unverified_user().await;
    let old = app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    assert_message(resend(&app, &user.email).await, RESENT).await;
    let new = app.mail.wait_for_token(&user.email, VERIFY_LINK, 2).await;
    assert_ne!(old, new);
    assert_detail(app.verify_email(&old).await, 400, BAD_TOKEN).await;
    assert_message(app.verify_email(&new).await, VERIFIED).await;
});

both_backends!(
    resend_for_an_unknown_email_says_the_same_and_sends_nothing,
    |app| async move {
        assert_message(resend(&app, "nobody@example.com").await, RESENT).await;
        wait_for_later_mail(&app).await;
        assert!(app.mail.emails_to("nobody@example.com").is_empty());
    }
);

both_backends!(resend_for_a_verified_user_is_400, |app| async move {
    let (user, _) = app.verified_user().await;
    assert_detail(resend(&app, &user.email).await, 400, "Email already verified").await;
});

both_backends!(resend_with_an_invalid_email_is_422, |app| async move {
    assert_validation(
        resend(&app, "not-an-email").await,
        &["body", "email"],
        "value_error",
    )
    .await;
});

both_backends!(verify_without_token_is_422, |app| async move {
    let response = app.post_json("/api/auth/verify-email", &json!({})).await;
    assert_validation(response, &["body", "token"], "missing").await;
});
