//! POST /api/auth/forgot-password and POST /api/auth/reset-password
use crate::checks::*;
use crate::helpers::*;
use serde_json::json;
use testkit::mail::{RESET_LINK, VERIFY_LINK};

const INSTRUCTIONS: &str =
    "If an account with that email exists, you will receive password reset instructions.";
const RESET: &str = "Password reset successfully";
const BAD_TOKEN: &str = "Invalid or expired reset token";
const REFUSED: &str = "Incorrect email or password";

/// Asks for a reset and returns the token of the `nth` reset mail to `email`.
async fn reset_token(app: &TestApp, email: &str, nth: usize) -> String {
    assert_message(app.forgot_password(email).await, INSTRUCTIONS).await;
    app.mail.wait_for_token(email, RESET_LINK, nth).await
}

both_backends!(forgot_password_mails_a_reset_link, |app| async move {
    let (user, _) = app.verified_user().await;
    reset_token(&app, &user.email, 1).await;
    let mails = app
        .mail
        .wait_for_emails(&user.email, 1, |mail| mail.text.contains(RESET_LINK))
        .await;
    assert!(mails[0].html.contains(&format!("{FRONTEND_URL}{RESET_LINK}")));
    assert!(!mails[0].subject.is_empty());
});

both_backends!(
    forgot_password_for_an_unknown_email_says_the_same_and_sends_nothing,
    |app| async move {
        assert_message(app.forgot_password("nobody@example.com").await, INSTRUCTIONS).await;
        let (user, _) = app.verified_user().await;
        reset_token(&app, &user.email, 1).await;
        assert!(app.mail.emails_to("nobody@example.com").is_empty());
    }
);

both_backends!(forgot_password_with_an_invalid_email_is_422, |app| async move {
    let response = app.post_json("/api/auth/forgot-password", &json!({})).await;
    assert_validation(response, &["body", "email"], "missing").await;
    let response = app.forgot_password("not-an-email").await;
    assert_validation(response, &["body", "email"], "value_error").await;
});

both_backends!(reset_changes_the_password_once, |app| async move {
    let (user, _) = app.verified_user().await;
    let token = reset_token(&app, &user.email, 1).await;
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
    json_body(app.login(&user.email, OTHER_PASSWORD).await, 200).await;
    assert_detail(app.login(&user.email, &user.password).await, 401, REFUSED).await;
    assert_detail(
        app.reset_password(&token, "Another-Strong-Pass-42").await,
        400,
        BAD_TOKEN,
    )
    .await;
});

both_backends!(reset_works_for_an_unverified_user, |app| async move {
    let (user, _) = app.unverified_user().await;
    app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    let token = reset_token(&app, &user.email, 1).await;
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
    json_body(app.login(&user.email, OTHER_PASSWORD).await, 200).await;
});

both_backends!(random_reset_token_is_400, |app| async move {
    let random = "y".repeat(43);
    assert_detail(app.reset_password(&random, OTHER_PASSWORD).await, 400, BAD_TOKEN).await;
});

both_backends!(a_newer_reset_link_replaces_the_older, |app| async move {
    let (user, _) = app.verified_user().await;
    let older = reset_token(&app, &user.email, 1).await;
    let newer = reset_token(&app, &user.email, 2).await;
    assert_ne!(older, newer);
    assert_detail(app.reset_password(&older, OTHER_PASSWORD).await, 400, BAD_TOKEN).await;
    assert_message(app.reset_password(&newer, OTHER_PASSWORD).await, RESET).await;
});

both_backends!(reset_revokes_existing_sessions, |app| async move {
    let (user, first) = app.verified_user().await;
    let second = app.login_ok(&user).await;
    let token = reset_token(&app, &user.email, 1).await;
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
    for tokens in [&first, &second] {
        assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
        assert_eq!(app.refresh(&tokens.refresh).await.status(), 401);
    }
});

both_backends!(tokens_issued_right_after_a_reset_work, |app| async move {
    let (user, _) = app.verified_user().await;
    let token = reset_token(&app, &user.email, 1).await;
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
    let fresh = app.login_ok(&user.with_password(OTHER_PASSWORD)).await;
    json_body(app.profile(&fresh.access).await, 200).await;
    app.refresh_ok(&fresh.refresh).await;
});

both_backends!(weak_new_password_is_422_and_keeps_the_token, |app| async move {
    let (user, _) = app.verified_user().await;
    let token = reset_token(&app, &user.email, 1).await;
    for weak in ["password1", "12345678", &format!("{}!", user.username)] {
        let rejection =
            assert_rejected_field(app.reset_password(&token, weak).await, &["body", "new_password"]).await;
        rejection.assert_not_echoed(weak);
        rejection.assert_not_echoed(&token);
    }
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
});

both_backends!(too_short_new_password_is_422, |app| async move {
    let (user, _) = app.verified_user().await;
    let token = reset_token(&app, &user.email, 1).await;
    let response = app.reset_password(&token, "Sh0rt!x").await;
    let rejection = assert_validation(response, &["body", "new_password"], "string_too_short").await;
    assert_eq!(rejection.error["ctx"], json!({"min_length": 8}));
    rejection.assert_not_echoed("Sh0rt!x");
    rejection.assert_not_echoed(&token);
    assert_message(app.reset_password(&token, OTHER_PASSWORD).await, RESET).await;
});
