//! Two-factor authentication (TOTP, RFC 6238): enrolment, the login's second step, the ±1-step
//! window judged by the stack's injected clock, single use of every code (also under
//! concurrent submissions), the mfa_token's limits, and recovery codes.
use crate::checks::*;
use crate::helpers::*;
use crate::jwt;
use crate::mfa_support::*;
use serde_json::json;
use std::collections::BTreeSet;

both_backends!(enrolment_then_login_needs_the_second_factor, |app| async move {
    let (user, tokens) = app.verified_user().await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["mfa_enabled"], false);
    // Nothing pending yet.
    assert_detail(
        activate(&app, &tokens.access, "123456").await,
        400,
        "No pending factor",
    )
    .await;

    let first = start_totp(&app, &tokens.access).await;
    let second = start_totp(&app, &tokens.access).await;
    let secret = second["secret"].as_str().unwrap();
    assert_ne!(
        first["secret"], second["secret"],
        "a new call replaces the pending factor"
    );
    assert_eq!(secret.len(), 32, "160 bits of base32");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let uri = second["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")),
        "{uri}"
    );
    assert!(second["factor_id"].as_str().is_some_and(|id| !id.is_empty()));

    align_to_step(&app);
    let replaced = totp(first["secret"].as_str().unwrap(), step_now(&app));
    assert_detail(activate(&app, &tokens.access, &replaced).await, 400, INVALID_CODE).await;
    let body = json_body(
        activate(&app, &tokens.access, &totp(secret, step_now(&app))).await,
        200,
    )
    .await;
    let codes: BTreeSet<&str> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10, "ten distinct codes: {body}");
    for code in &codes {
        // 12 base32 characters: 60 bits.
        let chars: String = code.chars().filter(|c| *c != '-').collect();
        assert_eq!(chars.len(), 12, "{code}");
    }
    assert_detail(
        post_with(&app, "/api/user/mfa/totp", &tokens.access, &json!({})).await,
        400,
        "Two-factor authentication is already enabled",
    )
    .await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["mfa_enabled"], true);
    app.mail
        .wait_for_emails(&user.email, 1, |m| {
            m.subject.contains("Two-factor authentication is on")
        })
        .await;

    // The password alone no longer signs in.
    let challenge = json_body(app.login(&user.email, &user.password).await, 200).await;
    assert_eq!(challenge["expires_in"], 300);
    assert_eq!(challenge["methods"], json!(["totp", "recovery_code"]));
    let token = challenge["mfa_token"].as_str().unwrap();
    // The activation used this step: its code is spent; the next step's works.
    assert_detail(
        verify(&app, token, &totp(secret, step_now(&app))).await,
        401,
        INVALID_CODE,
    )
    .await;
    let pair = Tokens::from_body(
        &json_body(verify(&app, token, &totp(secret, step_now(&app) + 1)).await, 200).await,
    );
    let claims = jwt::claims(&pair.access);
    assert_eq!(
        (&claims["aal"], &claims["amr"]),
        (&json!(2), &json!(["pwd", "otp"]))
    );
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!(
        (auth_time - app.clock.now_secs()).abs() <= 2,
        "auth_time by the stack's clock"
    );
    let sessions = json_body(app.get("/api/user/sessions", Some(&pair.access)).await, 200).await;
    let current: Vec<_> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current[0]["aal"], 2);
    // A password-only session says so.
    let old = jwt::claims(&tokens.access);
    assert_eq!((&old["aal"], &old["amr"]), (&json!(1), &json!(["pwd"])));
});

both_backends!(
    codes_are_good_one_step_either_side_and_only_once,
    |app| async move {
        let mfa = enrolled_user(&app).await;
        // Activation used step s; five steps later every code of the window is newer.
        advance_steps(&app, 5);
        let token = mfa_token(&app, &mfa.user).await;
        for offset in [2, -2, 3] {
            assert_detail(
                verify(&app, &token, &mfa.code(&app, offset)).await,
                401,
                INVALID_CODE,
            )
            .await;
        }
        json_body(verify(&app, &token, &mfa.code(&app, -1)).await, 200).await;
        // Replay of a used step, then the steps after it.
        let token = mfa_token(&app, &mfa.user).await;
        assert_detail(verify(&app, &token, &mfa.code(&app, -1)).await, 401, INVALID_CODE).await;
        json_body(verify(&app, &token, &mfa.code(&app, 0)).await, 200).await;
        let token = mfa_token(&app, &mfa.user).await;
        assert_detail(verify(&app, &token, &mfa.code(&app, 0)).await, 401, INVALID_CODE).await;
        json_body(verify(&app, &token, &mfa.code(&app, 1)).await, 200).await;
        // Once the newest step of the window is used, nothing older can follow.
        let token = mfa_token(&app, &mfa.user).await;
        for offset in [-1, 0, 1] {
            assert_detail(
                verify(&app, &token, &mfa.code(&app, offset)).await,
                401,
                INVALID_CODE,
            )
            .await;
        }
    }
);

both_backends!(one_code_submitted_concurrently_signs_in_once, |app| async move {
    let mfa = enrolled_user(&app).await;
    advance_steps(&app, 1);
    let code = mfa.code(&app, 0);
    // Three logins, each token sent the same code twice, all at once.
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(mfa_token(&app, &mfa.user).await);
    }
    let attempts = tokens.iter().chain(tokens.iter()).map(|t| verify(&app, t, &code));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
});

both_backends!(five_wrong_codes_kill_the_mfa_token, |app| async move {
    let mfa = enrolled_user(&app).await;
    advance_steps(&app, 1);
    assert_detail(
        verify(&app, "no-such-token", &mfa.code(&app, 0)).await,
        401,
        BAD_MFA_TOKEN,
    )
    .await;
    let token = mfa_token(&app, &mfa.user).await;
    for wrong in ["000000", "111111", "222222", "333333", "444444"] {
        let wrong = if wrong == mfa.code(&app, 0) {
            "555555"
        } else {
            wrong
        };
        assert_detail(verify(&app, &token, wrong).await, 401, INVALID_CODE).await;
    }
    assert_detail(verify(&app, &token, &mfa.code(&app, 0)).await, 401, BAD_MFA_TOKEN).await;
    // The right code was not used up by the dead token: a new login takes it.
    let token = mfa_token(&app, &mfa.user).await;
    json_body(verify(&app, &token, &mfa.code(&app, 0)).await, 200).await;
    // A token is single use.
    assert_detail(verify(&app, &token, &mfa.code(&app, 1)).await, 401, BAD_MFA_TOKEN).await;
});

both_backends!(a_recovery_code_works_once, |app| async move {
    let mfa = enrolled_user(&app).await;
    let code = &mfa.recovery_codes[3];
    let token = mfa_token(&app, &mfa.user).await;
    let pair = Tokens::from_body(&json_body(verify_recovery(&app, &token, code).await, 200).await);
    assert_eq!(jwt::claims(&pair.access)["aal"], 2);
    let token = mfa_token(&app, &mfa.user).await;
    assert_detail(verify_recovery(&app, &token, code).await, 401, INVALID_CODE).await;
    // Typed in capitals and without dashes, another one still works.
    let other = mfa.recovery_codes[4].replace('-', "").to_uppercase();
    json_body(verify_recovery(&app, &token, &other).await, 200).await;
    app.mail
        .wait_for_emails(&mfa.user.email, 2, |m| {
            m.subject.contains("recovery code was used")
        })
        .await;
});

both_backends!(mfa_verify_input_is_validated, |app| async move {
    let response = app.post_json("/api/auth/mfa/verify", &json!({})).await;
    assert_rejected_field(response, &["body", "mfa_token"]).await;
    let body = json!({"mfa_token": "secret-token-value"});
    assert_rejected_field(
        app.post_json("/api/auth/mfa/verify", &body).await,
        &["body", "code"],
    )
    .await
    .assert_not_echoed("secret-token-value");
    let both = json!({"mfa_token": "t", "code": "123456", "recovery_code": "abcd-efgh-ijkl"});
    assert_rejected_field(
        app.post_json("/api/auth/mfa/verify", &both).await,
        &["body", "recovery_code"],
    )
    .await;
    let wrong_type = json!({"mfa_token": 5, "code": ["x"]});
    assert_eq!(
        app.post_json("/api/auth/mfa/verify", &wrong_type).await.status(),
        422
    );
});
