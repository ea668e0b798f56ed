//! Input hygiene at registration beyond tests/api/auth_register.rs: emails are trimmed,
//! case-folded and NFC-normalised; usernames keep to a safe charset; names refuse control
//! characters; weak passwords are refused with a message that says why.
use crate::checks::*;
use crate::helpers::*;
use serde_json::json;
use testkit::mail::VERIFY_LINK;

const PATH: &str = "/api/auth/register";
const TAKEN_EMAIL: &str = "Email already registered";

both_backends!(emails_are_trimmed_and_case_folded, |app| async move {
    let user = TestUser::random().with_email("  Alice@Example.COM ");
    json_body(app.register(&user).await, 200).await;
    json_body(app.login("alice@example.com", PASSWORD).await, 200).await;
    let again = TestUser::random().with_email("alice@EXAMPLE.com");
    assert_detail(app.register(&again).await, 400, TAKEN_EMAIL).await;
});

both_backends!(emails_are_compared_in_nfc, |app| async move {
    let decomposed = TestUser::random().with_email("jose\u{301}@example.com");
    json_body(app.register(&decomposed).await, 200).await;
    let composed = TestUser::random().with_email("jos\u{e9}@example.com");
    assert_detail(app.register(&composed).await, 400, TAKEN_EMAIL).await;
    json_body(app.login("jos\u{e9}@example.com", PASSWORD).await, 200).await;
});

both_backends!(usernames_outside_the_charset_are_422, |app| async move {
    // Only ASCII letters, digits, '_', '.' and '-', so no NFC/NFD look-alikes either.
    for username in [
        "two words",
        "<script>",
        "a<b>c",
        "tab\there",
        "jose\u{301}",
        "jos\u{e9}",
    ] {
        let user = TestUser::random().with_username(username);
        let rejection =
            assert_validation(app.register(&user).await, &["body", "username"], "value_error").await;
        let msg = rejection.error["msg"].as_str().unwrap();
        assert!(msg.contains("Username may only contain"), "{username:?}: {msg}");
    }
});

both_backends!(names_with_control_characters_are_422, |app| async move {
    for (field, value) in [
        ("first_name", "Ada\u{0}"),
        ("last_name", "Love\u{7}lace"),
        ("first_name", "\u{1b}[31mred"),
    ] {
        let mut body = TestUser::random().registration();
        body[field] = json!(value);
        let rejection = assert_rejected_field(app.post_json(PATH, &body).await, &["body", field]).await;
        assert_eq!(
            rejection.error["msg"],
            "Value error, Control characters are not allowed"
        );
    }
});

both_backends!(names_are_stored_in_nfc, |app| async move {
    let user = TestUser::random();
    let mut body = user.registration();
    body["first_name"] = json!("  Jose\u{301} ");
    json_body(app.post_json(PATH, &body).await, 200).await;
    let token = app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    json_body(app.verify_email(&token).await, 200).await;
    let tokens = app.login_ok(&user).await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["first_name"], "Jos\u{e9}");
});

both_backends!(weak_passwords_are_refused_with_a_reason, |app| async move {
    let username = "orionbelt";
    let identity = format!("{username}!");
    for password in ["password1", "12345678", "xxxxxxxx", identity.as_str()] {
        let user = TestUser::random().with_username(username).with_password(password);
        let rejection = assert_rejected_field(app.register(&user).await, &["body", "password"]).await;
        let msg = rejection.error["msg"].as_str().unwrap();
        assert!(
            msg.contains("too weak") || msg.contains("must not contain your username"),
            "{password:?}: {msg}"
        );
    }
});

both_backends!(the_originals_test_credentials_are_accepted, |app| async move {
    let user = TestUser::random()
        .with_username("testuser")
        .with_email("test@example.com")
        .with_password("TestPassword123!");
    json_body(app.register(&user).await, 200).await;
    json_body(app.login("test@example.com", "TestPassword123!").await, 200).await;
});
