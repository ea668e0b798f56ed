//! POST /api/auth/login
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use serde_json::json;
use std::collections::BTreeSet;

const REFUSED: &str = "Incorrect email or password";

both_backends!(login_returns_a_token_pair_even_unverified, |app| async move {
    let user = TestUser::random();
    json_body(app.register(&user).await, 200).await;
    let body = json_body(app.login(&user.email, &user.password).await, 200).await;
    let keys: BTreeSet<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["access_token", "refresh_token", "token_type", "expires_in"])
    );
    assert_eq!(
        (&body["token_type"], &body["expires_in"]),
        (&json!("bearer"), &json!(900))
    );
    let tokens = Tokens::from_body(&body);
    assert_eq!(jwt::claims(&tokens.access)["type"], "access");
    assert_eq!(jwt::claims(&tokens.refresh)["type"], "refresh");
});

both_backends!(login_email_is_case_insensitive, |app| async move {
    let user = TestUser::random();
    json_body(app.register(&user).await, 200).await;
    json_body(app.login(&user.email.to_uppercase(), &user.password).await, 200).await;
});

both_backends!(
    wrong_password_and_unknown_email_get_the_same_401,
    |app| async move {
        let user = TestUser::random();
        json_body(app.register(&user).await, 200).await;
        assert_detail(app.login(&user.email, OTHER_PASSWORD).await, 401, REFUSED).await;
        assert_detail(app.login("nobody@example.com", PASSWORD).await, 401, REFUSED).await;
    }
);

both_backends!(missing_fields_are_422, |app| async move {
    let response = app
        .post_json("/api/auth/login", &json!({"email": "a@example.com"}))
        .await;
    assert_validation(response, &["body", "password"], "missing").await;
    let response = app
        .post_json("/api/auth/login", &json!({"password": PASSWORD}))
        .await;
    assert_validation(response, &["body", "email"], "missing").await;
});

// The original's `EmailStr`: a malformed address is a validation error, not a failed login,
// and the password beside it is never echoed.
both_backends!(malformed_email_is_422_without_echo, |app| async move {
    for email in ["nope", "a@", "@example.com", "a b@example.com"] {
        let body = json!({"email": email, "password": PASSWORD});
        let response = app.post_json("/api/auth/login", &body).await;
        let rejection = assert_validation(response, &["body", "email"], "value_error").await;
        rejection.assert_not_echoed(PASSWORD);
    }
});

both_backends!(two_logins_at_once_get_distinct_tokens, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let id = json_body(app.profile(&tokens.access).await, 200).await["id"]
        .as_i64()
        .unwrap();
    let (first, second) = futures::join!(app.login_ok(&user), app.login_ok(&user));
    assert_ne!(first.access, second.access);
    assert_ne!(first.refresh, second.refresh);
    let all = [&first.access, &first.refresh, &second.access, &second.refresh].map(|t| jwt::claims(t));
    for (claims, kind) in all.iter().zip(["access", "refresh", "access", "refresh"]) {
        for claim in ["jti", "iat", "exp", "sid"] {
            assert!(claims.get(claim).is_some(), "no {claim} in {claims}");
        }
        assert_eq!(claims["type"], kind);
        assert_eq!(claims["sub"], id.to_string());
        assert_eq!(
            (&claims["iss"], &claims["aud"]),
            (&json!("astro-auth"), &json!("astro-auth"))
        );
    }
    let jtis: BTreeSet<String> = all.iter().map(|c| c["jti"].to_string()).collect();
    assert_eq!(jtis.len(), 4, "jti must be unique: {all:?}");
    assert_ne!(all[0]["sid"], all[2]["sid"], "each login is a session of its own");
});
