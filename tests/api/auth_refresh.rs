//! POST /api/auth/refresh: rotation, reuse detection (with the grace for several tabs), token
//! types.
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

/// No grace: presenting the previous token at all is reuse.
const NO_GRACE: (&str, &str) = ("REFRESH_REUSE_GRACE_SECONDS", "0");

both_backends!(
    reusing_a_refresh_token_revokes_the_session,
    env = [NO_GRACE],
    |app| async move {
        let (_, old) = app.verified_user().await;
        let new = app.refresh_ok(&old.refresh).await;
        assert_unauthorized_with_one_of(app.refresh(&old.refresh).await, DEAD_REFRESH).await;
        assert_unauthorized_with_one_of(app.refresh(&new.refresh).await, DEAD_REFRESH).await;
        assert_detail(app.profile(&new.access).await, 401, INVALIDATED).await;
        assert_detail(app.profile(&old.access).await, 401, INVALIDATED).await;
    }
);

both_backends!(
    reuse_leaves_other_sessions_alone,
    env = [NO_GRACE],
    |app| async move {
        let (user, stolen) = app.verified_user().await;
        let other = app.login_ok(&user).await;
        app.refresh_ok(&stolen.refresh).await;
        assert_eq!(app.refresh(&stolen.refresh).await.status(), 401);
        json_body(app.profile(&other.access).await, 200).await;
        app.refresh_ok(&other.refresh).await;
    }
);

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
    env = [NO_GRACE],
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

// Several tabs refreshing one token at once all stay logged in: every answer is 200 with the
// same successor (byte for byte) and an access token of the same session.
both_backends!(
    concurrent_refreshes_of_one_token_all_get_the_same_successor,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let attempts = (0..50).map(|_| app.refresh(&tokens.refresh));
        let mut bodies = Vec::new();
        for response in futures::future::join_all(attempts).await {
            bodies.push(json_body(response, 200).await);
        }
        let pairs: Vec<Tokens> = bodies.iter().map(Tokens::from_body).collect();
        let successor = &pairs[0].refresh;
        assert!(
            pairs.iter().all(|p| &p.refresh == successor),
            "one shared successor"
        );
        assert_ne!(successor, &tokens.refresh);
        let sid = |token: &str| crate::jwt::claims(token)["sid"].clone();
        for pair in &pairs {
            assert_eq!(sid(&pair.access), sid(&tokens.access));
            json_body(app.profile(&pair.access).await, 200).await;
        }
        // The successor rotates as usual; the original, now two generations behind, is reuse.
        let next = app.refresh_ok(successor).await;
        assert_unauthorized_with_one_of(app.refresh(&tokens.refresh).await, DEAD_REFRESH).await;
        assert_detail(app.profile(&next.access).await, 401, INVALIDATED).await;
    }
);

// A refresh racing a logout never leaves a live token: whatever the refresh answered is dead
// once both are done.
both_backends!(a_refresh_racing_a_logout_leaves_nothing_alive, |app| async move {
    for _ in 0..5 {
        let (_, tokens) = app.verified_user().await;
        let logout_body = json!({"refresh_token": tokens.refresh});
        let logout = app
            .post("/api/auth/logout")
            .bearer_auth(&tokens.access)
            .json(&logout_body)
            .send();
        let (refreshed, logged_out) = tokio::join!(app.refresh(&tokens.refresh), logout);
        assert_eq!(logged_out.expect("logout answered").status(), 200);
        if refreshed.status() == 200 {
            let pair = Tokens::from_body(&json_body(refreshed, 200).await);
            assert_detail(app.profile(&pair.access).await, 401, INVALIDATED).await;
            assert_unauthorized_with_one_of(app.refresh(&pair.refresh).await, DEAD_REFRESH).await;
        }
        assert_unauthorized_with_one_of(app.refresh(&tokens.refresh).await, DEAD_REFRESH).await;
    }
});
