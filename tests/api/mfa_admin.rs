//! Two-factor authentication seen from outside the user's own flows: the admin's listing and
//! reset, the audit log, browser mode's second step, and the per-account login throttle
//! counting wrong codes.
use crate::admin_support::*;
use crate::checks::*;
use crate::helpers::*;
use crate::mfa_support::*;
use serde_json::json;

admin_test!(admins_see_and_reset_a_users_second_factor, |app| async move {
    let admin = Admin::initial(&app).await;
    let mfa = enrolled_user(&app).await;
    let (_, plain) = app.verified_user().await;
    let id = user_id(&mfa.tokens);
    let listing = admin.list("per_page=100").await;
    for user in listing["users"].as_array().unwrap() {
        let expected = user["id"] == json!(id);
        assert_eq!(user["mfa_enabled"], json!(expected), "{user}");
    }
    let shown = json_body(admin.get(&format!("/api/admin/users/{id}")).await, 200).await;
    assert_eq!(shown["mfa_enabled"], true);

    // Not for users, whoever they reset.
    let path = format!("/api/admin/users/{id}/mfa");
    let refused = send(&app, reqwest::Method::DELETE, &path, Some(&plain.access), None).await;
    assert_eq!(refused.status(), 403);
    assert_message(admin.delete(&path).await, "Two-factor authentication reset").await;
    assert_detail(
        admin.delete("/api/admin/users/999999/mfa").await,
        404,
        "User not found",
    )
    .await;
    assert_eq!(admin.delete("/api/admin/users/nope/mfa").await.status(), 422);
    let shown = json_body(admin.get(&format!("/api/admin/users/{id}")).await, 200).await;
    assert_eq!(shown["mfa_enabled"], false);
    let event = wait_for_audit(&app, &admin.tokens.access, "mfa_reset_by_admin", id).await;
    assert_eq!(
        (&event["actor_id"], &event["target_id"]),
        (&json!(admin.id), &json!(id))
    );
    app.mail
        .wait_for_emails(&mfa.user.email, 1, |m| {
            m.subject.contains("Two-factor authentication is off")
        })
        .await;
    app.login_ok(&mfa.user).await;
});

admin_test!(second_factor_events_are_audited, |app| async move {
    let admin = Admin::initial(&app).await;
    let mfa = enrolled_user(&app).await;
    let id = user_id(&mfa.tokens);
    wait_for_audit(&app, &admin.tokens.access, "mfa_enabled", id).await;
    let token = mfa_token(&app, &mfa.user).await;
    assert_detail(verify(&app, &token, "000000").await, 401, INVALID_CODE).await;
    let failed = wait_for_audit(&app, &admin.tokens.access, "mfa_failed", id).await;
    assert_eq!(failed["details"], json!({"during": "login"}));
    json_body(verify_recovery(&app, &token, &mfa.recovery_codes[0]).await, 200).await;
    wait_for_audit(&app, &admin.tokens.access, "mfa_recovery_code_used", id).await;
    let pair = app.refresh_ok(&mfa.tokens.refresh).await;
    let proof = json!({ "recovery_code": mfa.recovery_codes[1] });
    let response = delete_with(&app, "/api/user/mfa/totp", &pair.access, &proof).await;
    assert_message(response, "Two-factor authentication disabled").await;
    wait_for_audit(&app, &admin.tokens.access, "mfa_disabled", id).await;
});

both_backends!(browser_mode_finishes_the_login_in_cookies, |app| async move {
    let mfa = enrolled_user(&app).await;
    let login = app
        .post("/api/auth/login")
        .header("x-token-transport", "cookie")
        .json(&mfa.user.credentials())
        .send()
        .await
        .unwrap();
    assert!(
        login.headers().get("set-cookie").is_none(),
        "no cookies before the second factor"
    );
    let token = json_body(login, 200).await["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    advance_steps(&app, 1);
    let body = json!({ "mfa_token": token, "code": mfa.code(&app, 0) });
    let verified = app
        .post("/api/auth/mfa/verify")
        .header("x-token-transport", "cookie")
        .json(&body)
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = verified
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        json_body(verified, 200).await,
        json!({"token_type": "cookie", "expires_in": 900})
    );
    let jar = cookies.join("; ");
    assert!(
        ["astro_at=", "astro_rt=", "astro_csrf="]
            .iter()
            .all(|c| jar.contains(c)),
        "{jar}"
    );
    let profile = app
        .client
        .get(app.url("/api/user/profile"))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(json_body(profile, 200).await["mfa_enabled"], true);
});

both_backends!(
    wrong_codes_count_against_the_accounts_login_throttle,
    env = [
        ("LOGIN_FAILURES_PER_ACCOUNT_15MIN", "3"),
        ("TRUSTED_PROXIES", "127.0.0.0/8"),
    ],
    |app| async move {
        let mfa = enrolled_user(&app).await;
        // An attacker who knows the password, from an address the owner never used.
        let from_elsewhere = |path: &str, body: serde_json::Value| {
            app.post(path)
                .header("x-forwarded-for", "203.0.113.7")
                .json(&body)
                .send()
        };
        let challenge = from_elsewhere("/api/auth/login", mfa.user.credentials())
            .await
            .unwrap();
        let token = json_body(challenge, 200).await["mfa_token"]
            .as_str()
            .unwrap()
            .to_owned();
        for wrong in ["000000", "111111", "222222"] {
            let body = json!({ "mfa_token": token, "code": wrong });
            let response = from_elsewhere("/api/auth/mfa/verify", body).await.unwrap();
            assert_detail(response, 401, INVALID_CODE).await;
        }
        let locked = from_elsewhere("/api/auth/login", mfa.user.credentials())
            .await
            .unwrap();
        assert_detail(locked, 429, "Too many requests").await;
        // The owner, from their known address, is never locked out.
        mfa_token(&app, &mfa.user).await;
    }
);

/// Sets the user service's copy of the flag behind the stack's back, as a change auth could
/// not deliver (the user service down at that moment) would leave it.
async fn set_stored_flag(app: &TestApp, id: i64, enabled: bool) {
    const SQL: &str = "UPDATE users SET mfa_enabled = $2 WHERE id = $1";
    let db = app.db().await;
    let updated = astro_store::on_pool!(db, |pool| {
        sqlx::query(SQL)
            .bind(id)
            .bind(enabled)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    });
    assert_eq!(updated.expect("updating users"), 1);
    db.close().await;
}

both_backends!(a_stale_flag_is_repaired_at_the_next_login, |app| async move {
    // Auth's factors decide the login whatever the copy says, and the login corrects the copy.
    let mfa = enrolled_user(&app).await;
    let id = user_id(&mfa.tokens);
    set_stored_flag(&app, id, false).await;
    assert_eq!(
        json_body(app.profile(&mfa.tokens.access).await, 200).await["mfa_enabled"],
        false
    );
    mfa_token(&app, &mfa.user).await;
    assert_eq!(
        json_body(app.profile(&mfa.tokens.access).await, 200).await["mfa_enabled"],
        true
    );

    let (plain, tokens) = app.verified_user().await;
    set_stored_flag(&app, user_id(&tokens), true).await;
    let fresh = app.login_ok(&plain).await;
    assert_eq!(
        json_body(app.profile(&fresh.access).await, 200).await["mfa_enabled"],
        false
    );
});
