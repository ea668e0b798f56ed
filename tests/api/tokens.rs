//! Access tokens on a protected route (GET /api/user/profile): what is accepted, what is not.
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use serde_json::json;

both_backends!(profile_returns_the_user, |app| async move {
    let (user, tokens) = app.verified_user().await;
    assert_user(&json_body(app.profile(&tokens.access).await, 200).await, &user);
});

both_backends!(unverified_user_is_refused, |app| async move {
    let (_, tokens) = app.unverified_user().await;
    assert_detail(app.profile(&tokens.access).await, 400, "Email not verified").await;
});

both_backends!(no_credentials_is_403, |app| async move {
    assert_detail(app.get("/api/user/profile", None).await, 403, "Not authenticated").await;
});

both_backends!(garbage_token_is_401, |app| async move {
    assert_invalid_credentials(app.profile("not-a-token").await).await;
    assert_invalid_credentials(app.profile("a.b.c").await).await;
});

both_backends!(alg_none_is_401, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let forged = jwt::unsigned(&jwt::claims(&tokens.access));
    assert_invalid_credentials(app.profile(&forged).await).await;
});

both_backends!(wrong_signing_key_is_401, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let claims = jwt::claims(&tokens.access);
    for secret in ["some-other-secret-that-is-long-enough", JWT_REFRESH_SECRET] {
        assert_invalid_credentials(app.profile(&jwt::sign(&claims, secret)).await).await;
    }
});

both_backends!(tampered_payload_is_401, |app| async move {
    let (_, victim) = app.verified_user().await;
    let (_, attacker) = app.verified_user().await;
    let mut claims = jwt::claims(&attacker.access);
    claims["sub"] = jwt::claims(&victim.access)["sub"].clone();
    assert_invalid_credentials(app.profile(&jwt::with_payload(&attacker.access, &claims)).await).await;
});

both_backends!(expired_token_is_401, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let mut claims = jwt::claims(&tokens.access);
    // The control: the same claims signed with the test secret are accepted.
    json_body(app.profile(&jwt::sign(&claims, JWT_SECRET)).await, 200).await;
    let now = jwt::now();
    claims["iat"] = json!(now - 7200);
    claims["exp"] = json!(now - 3600);
    claims["jti"] = json!("expired-token-jti");
    assert_invalid_credentials(app.profile(&jwt::sign(&claims, JWT_SECRET)).await).await;
});

both_backends!(refresh_token_is_not_an_access_token, |app| async move {
    let (_, tokens) = app.verified_user().await;
    assert_invalid_credentials(app.profile(&tokens.refresh).await).await;
    let mut claims = jwt::claims(&tokens.refresh);
    claims["jti"] = json!("refresh-signed-with-the-access-key");
    assert_invalid_credentials(app.profile(&jwt::sign(&claims, JWT_SECRET)).await).await;
});

both_backends!(unknown_user_is_401, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let mut claims = jwt::claims(&tokens.access);
    claims["sub"] = json!("987654321");
    assert_invalid_credentials(app.profile(&jwt::sign(&claims, JWT_SECRET)).await).await;
});

both_backends!(revoked_token_is_401_invalidated, |app| async move {
    let (_, tokens) = app.verified_user().await;
    json_body(app.logout(Some(&tokens.access)).await, 200).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
});
