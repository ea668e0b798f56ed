//! Who may use `/api/admin`: verified, active admins only, re-checked on every call; and the
//! initial admin from `INITIAL_ADMIN_*`.
use crate::admin_support::*;
use crate::checks::*;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Every admin route, with a body where it takes one.
fn routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/admin/users", None),
        (Method::GET, "/api/admin/users/1", None),
        (
            Method::PUT,
            "/api/admin/users/1",
            Some(json!({"first_name": "X"})),
        ),
        (Method::DELETE, "/api/admin/users/1", None),
        (
            Method::PUT,
            "/api/admin/users/1/role",
            Some(json!({"role": "user"})),
        ),
        (Method::GET, "/api/admin/stats", None),
        (Method::GET, "/api/admin/audit-log", None),
    ]
}

/// Asserts `detail` with `status` from every admin route for `token`.
async fn every_route(app: &TestApp, token: Option<&str>, status: u16, detail: &str) {
    for (method, path, body) in routes() {
        let response = send(app, method.clone(), path, token, body.as_ref()).await;
        let got = json_body(response, status).await;
        assert_eq!(got, json!({ "detail": detail }), "{method} {path}");
    }
}

admin_test!(no_token_is_not_authenticated, |app| async move {
    every_route(&app, None, 403, "Not authenticated").await;
});

admin_test!(a_verified_user_is_not_an_admin, |app| async move {
    let (_, tokens) = app.verified_user().await;
    every_route(&app, Some(&tokens.access), 403, NOT_ADMIN).await;
});

admin_test!(a_forged_or_garbage_token_is_401, |app| async move {
    assert_invalid_credentials(app.get("/api/admin/users", Some("not-a-jwt")).await).await;
});

admin_test!(an_unverified_admin_is_refused, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.unverified_user().await;
    json_body(admin.set_role(user_id(&tokens), "admin").await, 200).await;
    let tokens = app.login_ok(&user).await;
    every_route(&app, Some(&tokens.access), 400, "Email not verified").await;
});

admin_test!(the_initial_admin_logs_in_and_administers, |app| async move {
    let admin = Admin::initial(&app).await;
    let me = json_body(app.profile(&admin.tokens.access).await, 200).await;
    assert_eq!(
        (&me["email"], &me["username"]),
        (&json!(ADMIN_EMAIL), &json!(ADMIN_USERNAME))
    );
    assert_eq!(
        (&me["role"], &me["is_verified"], &me["is_active"]),
        (&json!("admin"), &json!(true), &json!(true))
    );
    let listing = admin.list("").await;
    assert_eq!(emails(&listing), [ADMIN_EMAIL]);
    json_body(admin.get("/api/admin/stats").await, 200).await;
});

both_backends!(
    no_initial_admin_without_its_settings,
    env = [("INITIAL_ADMIN_EMAIL", ADMIN_EMAIL)],
    |app| async move {
        assert_detail(
            app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
            401,
            "Incorrect email or password",
        )
        .await;
    }
);

admin_test!(a_demoted_admins_old_token_is_invalidated, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, second) = admin.second_admin().await;
    json_body(second.get("/api/admin/stats").await, 200).await;
    json_body(admin.set_role(second.id, "user").await, 200).await;
    assert_detail(second.get("/api/admin/stats").await, 401, INVALIDATED).await;
    assert_detail(app.refresh(&second.tokens.refresh).await, 401, INVALIDATED).await;
    // Logged in again, they are a plain user.
    let tokens = app.login_ok(&user).await;
    assert_detail(
        app.get("/api/admin/users", Some(&tokens.access)).await,
        403,
        NOT_ADMIN,
    )
    .await;
    json_body(app.profile(&tokens.access).await, 200).await;
});

// Access tokens vouch for admin rights (`adm`), so every way of losing them ends the
// admin's sessions: unverifying and disabling as well as demoting.
admin_test!(
    an_admin_who_loses_rights_any_way_loses_their_tokens,
    |app| async move {
        let admin = Admin::initial(&app).await;
        assert_eq!(crate::jwt::claims(&admin.tokens.access)["adm"], json!(true));
        for change in [json!({"is_verified": false}), json!({"is_active": false})] {
            let (_, second) = admin.second_admin().await;
            json_body(second.get("/api/admin/stats").await, 200).await;
            json_body(admin.update(second.id, &change).await, 200).await;
            assert_detail(second.get("/api/admin/users").await, 401, INVALIDATED).await;
            assert_detail(second.get("/api/admin/stats").await, 401, INVALIDATED).await;
        }
        // A plain user's token vouches for nothing; the lookup refuses them.
        let (_, tokens) = app.verified_user().await;
        assert_eq!(crate::jwt::claims(&tokens.access).get("adm"), None);
        assert_detail(
            app.get("/api/admin/users", Some(&tokens.access)).await,
            403,
            NOT_ADMIN,
        )
        .await;
    }
);

admin_test!(promotion_also_ends_old_sessions, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.verified_user().await;
    json_body(admin.set_role(user_id(&tokens), "admin").await, 200).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
    let fresh = app.login_ok(&user).await;
    json_body(app.get("/api/admin/stats", Some(&fresh.access)).await, 200).await;
});

/// A weak `INITIAL_ADMIN_PASSWORD` is a configuration error: the stack does not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_initial_admin_password_stops_the_start() {
    let refusal = start_refusal(&[
        ("INITIAL_ADMIN_EMAIL", ADMIN_EMAIL),
        ("INITIAL_ADMIN_PASSWORD", "password1"),
    ])
    .await;
    assert!(refusal.contains("INITIAL_ADMIN"), "{refusal}");
}
