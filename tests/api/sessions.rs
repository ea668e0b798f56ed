//! `/api/user/sessions`: a user's live sessions with their devices, ending one, ending the others.
use crate::checks::*;
use crate::helpers::*;
use serde_json::{Value, json};

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
     (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
     Chrome/120.0 Safari/537.36";

/// Logs `user` in with `agent` as the browser.
async fn login_from(app: &TestApp, user: &TestUser, agent: &str) -> Tokens {
    let response = app
        .post("/api/auth/login")
        .header("user-agent", agent)
        .json(&user.credentials())
        .send()
        .await
        .expect("sending the login");
    Tokens::from_body(&json_body(response, 200).await)
}

async fn sessions(app: &TestApp, access: &str) -> Vec<Value> {
    let body = json_body(app.get("/api/user/sessions", Some(access)).await, 200).await;
    body["sessions"].as_array().expect("a list of sessions").clone()
}

fn sid(token: &str) -> String {
    crate::jwt::claims(token)["sid"].as_str().unwrap().to_owned()
}

both_backends!(a_user_sees_each_session_with_its_device, |app| async move {
    let (user, _) = app.verified_user().await;
    let phone = login_from(&app, &user, PHONE).await;
    let desktop = login_from(&app, &user, DESKTOP).await;
    let listed = sessions(&app, &desktop.access).await;
    let ids: Vec<&str> = listed.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids[0],
        sid(&desktop.access),
        "most recently used first: {listed:?}"
    );
    assert!(ids.contains(&sid(&phone.access).as_str()));
    assert_eq!(listed.len(), 3, "the verification login too: {listed:?}");
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == json!(true)).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0]["device"],
        json!({"browser": "Chrome", "os": "Windows 10", "type": "desktop"})
    );
    assert_eq!(current[0]["user_agent"], json!(DESKTOP));
    assert_eq!(current[0]["aal"], json!(1));
    assert_eq!(current[0]["ip"], json!("127.0.0.1"));
    let phone_row = listed
        .iter()
        .find(|s| s["id"] == json!(sid(&phone.access)))
        .unwrap();
    assert_eq!(phone_row["device"]["type"], json!("mobile"));
    let text = serde_json::to_string(&listed).unwrap();
    for token in [&phone.access, &phone.refresh, &desktop.access, &desktop.refresh] {
        assert!(!text.contains(token.as_str()), "no token material");
    }
    // A refresh is a use: the phone's session moves to the top.
    let refreshed = app.refresh_ok(&phone.refresh).await;
    let listed = sessions(&app, &desktop.access).await;
    assert_eq!(listed[0]["id"], json!(sid(&refreshed.access)), "{listed:?}");
});

both_backends!(ending_a_session_kills_its_tokens_at_once, |app| async move {
    let (user, _) = app.verified_user().await;
    let phone = login_from(&app, &user, PHONE).await;
    let desktop = login_from(&app, &user, DESKTOP).await;
    let response = app.end_session(&desktop.access, &sid(&phone.access)).await;
    assert_message(response, "Session revoked").await;
    assert_detail(app.profile(&phone.access).await, 401, INVALIDATED).await;
    assert_eq!(app.refresh(&phone.refresh).await.status(), 401);
    json_body(app.profile(&desktop.access).await, 200).await;
    assert!(
        !sessions(&app, &desktop.access)
            .await
            .iter()
            .any(|s| s["id"] == json!(sid(&phone.access)))
    );

    // Ended, unknown, or another user's: the same 404.
    let (_, stranger) = app.verified_user().await;
    for id in [
        sid(&phone.access),
        "no-such-session".into(),
        sid(&stranger.access),
    ] {
        let response = app.end_session(&desktop.access, &id).await;
        assert_detail(response, 404, "Session not found").await;
    }
    json_body(app.profile(&stranger.access).await, 200).await;
    // The current session ends with logout, not here.
    let response = app.end_session(&desktop.access, &sid(&desktop.access)).await;
    assert_detail(response, 400, "Use logout to end the current session").await;
});

both_backends!(
    revoking_the_others_keeps_only_the_current_session,
    |app| async move {
        let (user, first) = app.verified_user().await;
        let phone = login_from(&app, &user, PHONE).await;
        let desktop = login_from(&app, &user, DESKTOP).await;
        let response = app
            .post("/api/user/sessions/revoke-others")
            .bearer_auth(&desktop.access)
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(response, 200).await, json!({"revoked": 2}));
        for gone in [&first, &phone] {
            assert_detail(app.profile(&gone.access).await, 401, INVALIDATED).await;
        }
        let listed = sessions(&app, &desktop.access).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["current"], json!(true));
        app.refresh_ok(&desktop.refresh).await;
    }
);

both_backends!(sessions_need_a_verified_caller, |app| async move {
    assert_detail(
        app.get("/api/user/sessions", None).await,
        403,
        "Not authenticated",
    )
    .await;
    let (_, unverified) = app.unverified_user().await;
    assert_detail(
        app.get("/api/user/sessions", Some(&unverified.access)).await,
        400,
        "Email not verified",
    )
    .await;
});
