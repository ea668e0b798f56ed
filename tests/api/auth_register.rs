//! POST /api/auth/register
use crate::checks::*;
use crate::helpers::*;
use serde_json::{Value, json};
use testkit::mail::VERIFY_LINK;

const REGISTERED: &str = "User registered successfully. Please check your email for verification.";
const PATH: &str = "/api/auth/register";

/// Registers `first`, then each of `others`: every one of them is refused with a 400 `detail`.
async fn assert_refused_after(app: &TestApp, first: &TestUser, others: &[TestUser], detail: &str) {
    assert_message(app.register(first).await, REGISTERED).await;
    for other in others {
        assert_detail(app.register(other).await, 400, detail).await;
    }
}

/// Registers `first` and `second` at the same time; asserts one 200 and one 400 `detail`.
async fn assert_one_wins(app: &TestApp, first: &TestUser, second: &TestUser, detail: &str) {
    let (a, b) = futures::join!(app.register(first), app.register(second));
    let mut outcomes = Vec::new();
    for response in [a, b] {
        let status = response.status().as_u16();
        outcomes.push((status, response.json::<Value>().await.expect("a JSON body")));
    }
    outcomes.sort_by_key(|(status, _)| *status);
    assert_eq!(
        outcomes[0],
        (200, json!({ "message": REGISTERED })),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], (400, json!({ "detail": detail })), "{outcomes:?}");
}

both_backends!(
    registration_succeeds_and_sends_a_verification_link,
    |app| async move {
        let user = TestUser::random();
        assert_message(app.register(&user).await, REGISTERED).await;
        app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    }
);

both_backends!(optional_names_are_kept, |app| async move {
    let user = TestUser::random();
    let mut body = user.registration();
    body["first_name"] = json!("Ada");
    body["last_name"] = json!("Lovelace");
    assert_message(app.post_json(PATH, &body).await, REGISTERED).await;
    let token = app.mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    json_body(app.verify_email(&token).await, 200).await;
    let tokens = app.login_ok(&user).await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_user(&profile, &user);
    assert_eq!(
        (&profile["first_name"], &profile["last_name"]),
        (&json!("Ada"), &json!("Lovelace"))
    );
});

both_backends!(duplicate_email_is_refused_whatever_its_case, |app| async move {
    let first = TestUser::random().with_email("A@X.COM");
    let others = ["A@X.COM", "a@x.com"].map(|email| TestUser::random().with_email(email));
    assert_refused_after(&app, &first, &others, "Email already registered").await;
});

both_backends!(
    duplicate_username_is_refused_whatever_its_case,
    |app| async move {
        let first = TestUser::random().with_username("Stargazer");
        let others =
            ["Stargazer", "stargazer", "STARGAZER"].map(|name| TestUser::random().with_username(name));
        assert_refused_after(&app, &first, &others, "Username already taken").await;
    }
);

both_backends!(concurrent_duplicates_let_exactly_one_win, |app| async move {
    let first = TestUser::random();
    let second = TestUser::random().with_email(first.email.clone());
    assert_one_wins(&app, &first, &second, "Email already registered").await;
    let first = TestUser::random();
    let second = TestUser::random().with_username(first.username.to_uppercase());
    assert_one_wins(&app, &first, &second, "Username already taken").await;
});

// The original's own `test_user_registration_duplicate_email` registers the same body twice:
// email and username both taken, and the email is what it reports.
both_backends!(taken_email_is_reported_before_taken_username, |app| async move {
    let first = TestUser::random();
    let same = first.clone();
    assert_refused_after(&app, &first, &[same], "Email already registered").await;
});

both_backends!(
    concurrent_identical_registrations_report_the_email,
    |app| async move {
        for _ in 0..3 {
            let first = TestUser::random();
            assert_one_wins(&app, &first, &first.clone(), "Email already registered").await;
        }
    }
);

both_backends!(missing_body_is_422, |app| async move {
    let response = app.post(PATH).send().await.unwrap();
    assert_validation(response, &["body"], "missing").await;
});

both_backends!(non_json_body_is_422, |app| async move {
    let request = app
        .post(PATH)
        .header("content-type", "application/json")
        .body("{not json");
    assert_validation(request.send().await.unwrap(), &["body"], "json_invalid").await;
});

both_backends!(missing_field_is_422, |app| async move {
    let mut body = TestUser::random().registration();
    body.as_object_mut().unwrap().remove("email");
    assert_validation(app.post_json(PATH, &body).await, &["body", "email"], "missing").await;
});

both_backends!(wrong_type_is_422, |app| async move {
    let mut body = TestUser::random().registration();
    body["username"] = json!(123);
    assert_validation(
        app.post_json(PATH, &body).await,
        &["body", "username"],
        "string_type",
    )
    .await;
});

both_backends!(too_short_password_is_422_without_echo, |app| async move {
    let user = TestUser::random().with_password("Sh0rt!x");
    let rejection = assert_validation(
        app.register(&user).await,
        &["body", "password"],
        "string_too_short",
    )
    .await;
    assert_eq!(rejection.error["msg"], "String should have at least 8 characters");
    assert_eq!(rejection.error["ctx"], json!({"min_length": 8}));
    rejection.assert_not_echoed(&user.password);
});

both_backends!(username_length_is_checked, |app| async move {
    let long = "u".repeat(101);
    let cases = [
        ("ab", "string_too_short", json!({"min_length": 3})),
        (long.as_str(), "string_too_long", json!({"max_length": 100})),
    ];
    for (username, kind, ctx) in cases {
        let user = TestUser::random().with_username(username);
        let loc = ["body", "username"];
        let rejection = assert_validation(app.register(&user).await, &loc, kind).await;
        assert_eq!(rejection.error["ctx"], ctx);
    }
});

both_backends!(invalid_email_is_422, |app| async move {
    let user = TestUser::random().with_email("not-an-email");
    let rejection = assert_validation(app.register(&user).await, &["body", "email"], "value_error").await;
    let msg = rejection.error["msg"].as_str().unwrap();
    assert!(msg.starts_with("value is not a valid email address"), "{msg}");
});

both_backends!(weak_passwords_are_422_without_echo, |app| async move {
    for password in ["password1", "12345678", "orionbelt!"] {
        let user = TestUser::random()
            .with_username("orionbelt")
            .with_password(password);
        let rejection = assert_rejected_field(app.register(&user).await, &["body", "password"]).await;
        rejection.assert_not_echoed(password);
    }
    let user = TestUser::random().with_username("orionbelt");
    assert_message(app.register(&user).await, REGISTERED).await;
});
