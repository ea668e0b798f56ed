//! Assurance and recent authentication: `aal`/`amr`/`auth_time` kept by refresh, reauthentication,
//! RFC 9470's challenge on the sensitive changes (expiry judged by the stack's injected clock),
//! and no way around the second factor through password reset.
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use crate::mfa_support::*;
use serde_json::json;
use testkit::mail::RESET_LINK;

const MAX_AGE: u64 = 600;

both_backends!(refresh_keeps_aal_amr_and_auth_time, |app| async move {
    let mfa = enrolled_user(&app).await;
    let pair = login_with_code(&app, &mfa).await;
    let before = jwt::claims(&pair.access);
    app.clock.shift(120);
    let refreshed = app.refresh_ok(&pair.refresh).await;
    for token in [&refreshed.access, &refreshed.refresh] {
        let after = jwt::claims(token);
        assert_eq!(after["aal"], 2);
        assert_eq!(after["amr"], json!(["pwd", "otp"]));
        assert_eq!(
            after["auth_time"], before["auth_time"],
            "a refresh is no authentication"
        );
    }
});

both_backends!(sensitive_changes_need_recent_authentication, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let revoke_others = |access: String| {
        let app = &app;
        async move { post_with(app, "/api/user/sessions/revoke-others", &access, &json!({})).await }
    };
    json_body(revoke_others(tokens.access.clone()).await, 200).await;
    app.clock.shift(MAX_AGE as i64 + 1);
    assert_step_up(revoke_others(tokens.access.clone()).await, MAX_AGE).await;
    // A refresh does not make it recent.
    let refreshed = app.refresh_ok(&tokens.refresh).await;
    assert_step_up(revoke_others(refreshed.access.clone()).await, MAX_AGE).await;

    let wrong = reauthenticate(&app, &refreshed.access, OTHER_PASSWORD, None).await;
    assert_detail(wrong, 401, "Incorrect password").await;
    let fresh = Tokens::from_body(
        &json_body(
            reauthenticate(&app, &refreshed.access, &user.password, None).await,
            200,
        )
        .await,
    );
    let claims = jwt::claims(&fresh.access);
    assert_eq!(
        claims["sid"],
        jwt::claims(&refreshed.access)["sid"],
        "the same session"
    );
    assert_eq!(claims["aal"], 1);
    assert!((claims["auth_time"].as_i64().unwrap() - app.clock.now_secs()).abs() <= 2);
    json_body(revoke_others(fresh.access.clone()).await, 200).await;
    // The new refresh token carries the new auth_time on; the one it replaced is used up.
    let next = app.refresh_ok(&fresh.refresh).await;
    assert_eq!(jwt::claims(&next.access)["auth_time"], claims["auth_time"]);
    json_body(revoke_others(next.access).await, 200).await;
    assert_eq!(app.refresh(&refreshed.refresh).await.status(), 401);
});

both_backends!(
    the_maximum_age_is_configurable,
    env = [("RECENT_AUTH_MAX_AGE_SECONDS", "60")],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        app.clock.shift(61);
        let response = post_with(
            &app,
            "/api/user/sessions/revoke-others",
            &tokens.access,
            &json!({}),
        )
        .await;
        assert_step_up(response, 60).await;
    }
);

both_backends!(
    with_mfa_password_and_account_changes_need_level_2,
    |app| async move {
        let mfa = enrolled_user(&app).await;
        // The enrolment session authenticated with the password only: level 1.
        let change = json!({"current_password": mfa.user.password, "new_password": OTHER_PASSWORD});
        let response = post_with(&app, "/api/user/change-password", &mfa.tokens.access, &change).await;
        assert_step_up(response, MAX_AGE).await;
        let response = delete_with(&app, "/api/user/account", &mfa.tokens.access, &json!({})).await;
        assert_step_up(response, MAX_AGE).await;
        // Reauthenticating without a code stays at level 1; a wrong code is refused.
        let level1 = reauthenticate(&app, &mfa.tokens.access, &mfa.user.password, None).await;
        let level1 = Tokens::from_body(&json_body(level1, 200).await);
        assert_step_up(
            post_with(&app, "/api/user/change-password", &level1.access, &change).await,
            MAX_AGE,
        )
        .await;
        advance_steps(&app, 1);
        let wrong = reauthenticate(&app, &level1.access, &mfa.user.password, Some("000000")).await;
        assert_detail(wrong, 401, INVALID_CODE).await;
        let code = mfa.code(&app, 0);
        let level2 = reauthenticate(&app, &level1.access, &mfa.user.password, Some(&code)).await;
        let level2 = Tokens::from_body(&json_body(level2, 200).await);
        let claims = jwt::claims(&level2.access);
        assert_eq!(
            (&claims["aal"], &claims["amr"]),
            (&json!(2), &json!(["pwd", "otp"]))
        );
        assert_message(
            post_with(&app, "/api/user/change-password", &level2.access, &change).await,
            "Password changed successfully",
        )
        .await;
        // Level 2 ages like any authentication.
        app.clock.shift(MAX_AGE as i64 + 1);
        let response = delete_with(&app, "/api/user/account", &level2.access, &json!({})).await;
        assert_step_up(response, MAX_AGE).await;
    }
);

both_backends!(
    disabling_and_new_recovery_codes_need_recent_auth_and_a_code,
    |app| async move {
        let mfa = enrolled_user(&app).await;
        let pair = login_with_code(&app, &mfa).await;
        advance_steps(&app, 1);
        let regenerate = |access: String, code: String| {
            let app = &app;
            async move {
                post_with(
                    app,
                    "/api/user/mfa/recovery-codes",
                    &access,
                    &json!({ "code": code }),
                )
                .await
            }
        };
        assert_detail(
            regenerate(pair.access.clone(), "000000".into()).await,
            400,
            INVALID_CODE,
        )
        .await;
        let fresh = json_body(regenerate(pair.access.clone(), mfa.code(&app, 0)).await, 200).await;
        assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
        // The old codes died with the new ones.
        let token = mfa_token(&app, &mfa.user).await;
        assert_detail(
            verify_recovery(&app, &token, &mfa.recovery_codes[0]).await,
            401,
            INVALID_CODE,
        )
        .await;

        app.clock.shift(MAX_AGE as i64 + 1);
        let disable = json!({ "code": mfa.code(&app, 0) });
        assert_step_up(
            delete_with(&app, "/api/user/mfa/totp", &pair.access, &disable).await,
            MAX_AGE,
        )
        .await;
        assert_step_up(regenerate(pair.access.clone(), mfa.code(&app, 0)).await, MAX_AGE).await;
        let again = reauthenticate(&app, &pair.access, &mfa.user.password, Some(&mfa.code(&app, 0))).await;
        let again = Tokens::from_body(&json_body(again, 200).await);
        // That code is spent; a recovery code disables too.
        let spent = json!({ "code": mfa.code(&app, 0) });
        assert_detail(
            delete_with(&app, "/api/user/mfa/totp", &again.access, &spent).await,
            400,
            INVALID_CODE,
        )
        .await;
        let recovery = json!({ "recovery_code": fresh["recovery_codes"][0] });
        assert_message(
            delete_with(&app, "/api/user/mfa/totp", &again.access, &recovery).await,
            "Two-factor authentication disabled",
        )
        .await;
        assert_eq!(
            json_body(app.profile(&again.access).await, 200).await["mfa_enabled"],
            false
        );
        app.mail
            .wait_for_emails(&mfa.user.email, 1, |m| {
                m.subject.contains("Two-factor authentication is off")
            })
            .await;
        // The password alone signs in again.
        app.login_ok(&mfa.user).await;
    }
);

both_backends!(
    password_reset_never_bypasses_the_second_factor,
    |app| async move {
        let mfa = enrolled_user(&app).await;
        json_body(app.forgot_password(&mfa.user.email).await, 200).await;
        let token = app.mail.wait_for_token(&mfa.user.email, RESET_LINK, 1).await;
        let body = json_body(app.reset_password(&token, OTHER_PASSWORD).await, 200).await;
        assert_eq!(
            body,
            json!({"message": "Password reset successfully"}),
            "no tokens"
        );
        let user = mfa.user.clone().with_password(OTHER_PASSWORD);
        mfa_token(&app, &user).await;
        // The reset revoked the old sessions too.
        assert_eq!(app.profile(&mfa.tokens.access).await.status(), 401);
    }
);
