//! `GET`/`PUT /api/user/profile` and `POST /api/user/change-password`.
use crate::checks::{INVALIDATED, assert_detail, assert_message, assert_rejected_field, json_body};
use crate::helpers::{OTHER_PASSWORD, TestApp, both_backends};
use reqwest::Response;
use serde_json::{Value, json};

async fn put_profile(app: &TestApp, token: &str, body: &Value) -> Response {
    let request = app
        .client
        .put(app.url("/api/user/profile"))
        .bearer_auth(token)
        .json(body);
    request.send().await.expect("sending PUT /profile")
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Response {
    let body = json!({"current_password": current, "new_password": new});
    let request = app
        .post("/api/user/change-password")
        .bearer_auth(token)
        .json(&body);
    request.send().await.expect("sending change-password")
}

both_backends!(profile_shows_the_caller, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["email"], user.email.as_str());
    assert_eq!(profile["username"], user.username.as_str());
    assert_eq!(profile["role"], "user");
    assert_eq!(profile["is_verified"], true);
    assert_eq!(profile["avatar_url"], Value::Null);
    assert!(profile.get("password_hash").is_none() && profile.get("hashed_password").is_none());
});

both_backends!(updates_are_partial_and_ignore_unknown_fields, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let token = tokens.access.as_str();
    let body = json!({"first_name": "Ada", "role": "admin", "email": "x@example.com", "is_verified": false});
    let updated = json_body(put_profile(&app, token, &body).await, 200).await;
    assert_eq!(updated["first_name"], "Ada");
    assert_eq!(
        (updated["role"].as_str(), updated["email"].as_str()),
        (Some("user"), Some(user.email.as_str()))
    );
    assert_eq!(updated["is_verified"], true);
    let updated = json_body(
        put_profile(&app, token, &json!({"last_name": "Lovelace"})).await,
        200,
    )
    .await;
    assert_eq!(
        (updated["first_name"].as_str(), updated["last_name"].as_str()),
        (Some("Ada"), Some("Lovelace"))
    );
    let url = "https://cdn.example.com/ada.png";
    let updated = json_body(put_profile(&app, token, &json!({"avatar_url": url})).await, 200).await;
    assert_eq!(updated["avatar_url"], url);
    assert_eq!(updated["first_name"], "Ada");
    // An empty body changes nothing.
    let same = json_body(put_profile(&app, token, &json!({})).await, 200).await;
    assert_eq!(
        (same["last_name"].as_str(), same["avatar_url"].as_str()),
        (Some("Lovelace"), Some(url))
    );
});

both_backends!(
    concurrent_updates_of_different_fields_both_survive,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        for round in 0..5 {
            let (first, last) = (format!("First{round}"), format!("Last{round}"));
            let (first_body, last_body) = (json!({"first_name": first}), json!({"last_name": last}));
            let (a, b) = tokio::join!(
                put_profile(&app, &tokens.access, &first_body),
                put_profile(&app, &tokens.access, &last_body),
            );
            json_body(a, 200).await;
            json_body(b, 200).await;
            let profile = json_body(app.profile(&tokens.access).await, 200).await;
            assert_eq!(
                (profile["first_name"].as_str(), profile["last_name"].as_str()),
                (Some(&*first), Some(&*last))
            );
        }
    }
);

both_backends!(bad_profile_values_are_422, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let token = tokens.access.as_str();
    let long_url = format!("https://cdn.example.com/{}", "a".repeat(500));
    for (body, field) in [
        (json!({"first_name": "Ada\u{7}"}), "first_name"),
        (json!({"last_name": "Love\nlace"}), "last_name"),
        (json!({"first_name": "x".repeat(101)}), "first_name"),
        (json!({"avatar_url": "javascript:alert(1)"}), "avatar_url"),
        (json!({"avatar_url": "data:image/png;base64,AAAA"}), "avatar_url"),
        (json!({"avatar_url": long_url}), "avatar_url"),
    ] {
        assert_rejected_field(put_profile(&app, token, &body).await, &["body", field]).await;
    }
    let profile = json_body(app.profile(token).await, 200).await;
    assert_eq!(
        (profile["first_name"].clone(), profile["avatar_url"].clone()),
        (Value::Null, Value::Null)
    );
});

both_backends!(wrong_current_password_is_400, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let response = change_password(&app, &tokens.access, "Not-The-Password-9!", OTHER_PASSWORD).await;
    assert_detail(response, 400, "Current password is incorrect").await;
    app.login_ok(&user).await;
});

both_backends!(
    changing_the_password_revokes_the_other_sessions,
    |app| async move {
        let (user, mine) = app.verified_user().await;
        let other = app.login_ok(&user).await;
        let response = change_password(&app, &mine.access, &user.password, OTHER_PASSWORD).await;
        assert_message(response, "Password changed successfully").await;

        assert_detail(app.profile(&other.access).await, 401, INVALIDATED).await;
        assert_eq!(app.refresh(&other.refresh).await.status(), 401);
        json_body(app.profile(&mine.access).await, 200).await;
        app.refresh_ok(&mine.refresh).await;

        assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
        json_body(app.login(&user.email, OTHER_PASSWORD).await, 200).await;
        let notices = app
            .mail
            .wait_for_emails(&user.email, 1, |e| e.subject.contains("password was changed"))
            .await;
        assert_eq!(notices.len(), 1);
    }
);
