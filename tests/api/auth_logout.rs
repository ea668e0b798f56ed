//! POST /api/auth/logout
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use serde_json::json;

const LOGGED_OUT: &str = "Successfully logged out";

both_backends!(logout_revokes_the_session, |app| async move {
    let (_, tokens) = app.verified_user().await;
    assert_message(app.logout(Some(&tokens.access)).await, LOGGED_OUT).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 401);
});

both_backends!(logout_accepts_the_refresh_token_in_the_body, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let request = app.post("/api/auth/logout").bearer_auth(&tokens.access);
    let response = request
        .json(&json!({"refresh_token": tokens.refresh}))
        .send()
        .await
        .unwrap();
    assert_message(response, LOGGED_OUT).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
    assert_eq!(app.refresh(&tokens.refresh).await.status(), 401);
});

both_backends!(logout_without_bearer_is_401, |app| async move {
    assert_detail(app.logout(None).await, 401, "Invalid authorization header").await;
    let basic = app
        .post("/api/auth/logout")
        .header("authorization", "Basic dXNlcjpwYXNz");
    assert_detail(basic.send().await.unwrap(), 401, "Invalid authorization header").await;
});

both_backends!(logout_with_an_invalid_or_expired_token_is_200, |app| async move {
    assert_message(app.logout(Some("garbage")).await, LOGGED_OUT).await;
    let (_, tokens) = app.verified_user().await;
    let mut claims = jwt::claims(&tokens.access);
    claims["exp"] = json!(jwt::now() - 3600);
    assert_message(
        app.logout(Some(&jwt::sign(&claims, JWT_SECRET))).await,
        LOGGED_OUT,
    )
    .await;
    json_body(app.profile(&tokens.access).await, 200).await;
});

both_backends!(logout_leaves_other_sessions_alone, |app| async move {
    let (user, first) = app.verified_user().await;
    let second = app.login_ok(&user).await;
    assert_message(app.logout(Some(&first.access)).await, LOGGED_OUT).await;
    assert_detail(app.profile(&first.access).await, 401, INVALIDATED).await;
    json_body(app.profile(&second.access).await, 200).await;
    app.refresh_ok(&second.refresh).await;
});
