//! POST /api/auth/refresh: rotation, reuse detection, token types.
use crate::checks::*;
use crate::helpers::*;
use serde_json::json;

/// What /refresh may say about a refresh token that was consumed or revoked.
const DEAD_REFRESH: &[&str] = &[INVALID_CREDENTIALS, INVALIDATED];

both_backends!(refresh_rotates_the_pair, |app| async move {
    let (_, old) = app.verified_user().await;
    let body = json_body(app.refresh(&old.refresh).await, 200).await;
    assert_eq!(
        (&body["token_type"], &body["expires_in"]),
        (&json!("bearer"), &json!(900))
    );
    let new = Tokens::from_body(&body);
    assert_ne!(new.access, old.access);
    assert_ne!(new.refresh, old.refresh);
    json_body(app.profile(&new.access).await, 200).await;
    app.refresh_ok(&new.refresh).await;
});

both_backends!(reusing_a_refresh_token_revokes_the_session, |app| async move {
    let (_, old) = app.verified_user().await;
    let new = app.refresh_ok(&old.refresh).await;
    assert_unauthorized_with_one_of(app.refresh(&old.refresh).await, DEAD_REFRESH).await;
    assert_unauthorized_with_one_of(app.refresh(&new.refresh).await, DEAD_REFRESH).await;
    assert_detail(app.profile(&new.access).await, 401, INVALIDATED).await;
    assert_detail(app.profile(&old.access).await, 401, INVALIDATED).await;
});

both_backends!(reuse_leaves_other_sessions_alone, |app| async move {
    let (user, stolen) = app.verified_user().await;
    let other = app.login_ok(&user).await;
    app.refresh_ok(&stolen.refresh).await;
    assert_eq!(app.refresh(&stolen.refresh).await.status(), 401);
    json_body(app.profile(&other.access).await, 200).await;
    app.refresh_ok(&other.refresh).await;
});

both_backends!(access_token_is_not_a_refresh_token, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let allowed = [INVALID_CREDENTIALS, "Invalid token type"];
    assert_unauthorized_with_one_of(app.refresh(&tokens.access).await, &allowed).await;
});

both_backends!(garbage_refresh_token_is_401, |app| async move {
    assert_detail(app.refresh("garbage").await, 401, INVALID_CREDENTIALS).await;
});

both_backends!(missing_refresh_token_is_422, |app| async move {
    let response = app.post_json("/api/auth/refresh", &json!({})).await;
    assert_validation(response, &["body", "refresh_token"], "missing").await;
});

both_backends!(
    concurrent_refreshes_of_one_token_succeed_at_most_once,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let attempts = (0..4).map(|_| app.refresh(&tokens.refresh));
        let statuses: Vec<u16> = futures::future::join_all(attempts)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert!(
            statuses.iter().filter(|&&s| s == 200).count() <= 1,
            "{statuses:?}"
        );
        assert!(statuses.iter().all(|&s| s == 200 || s == 401), "{statuses:?}");
    }
);
