//! PUT /api/admin/users/{id}, PUT /api/admin/users/{id}/role and DELETE /api/admin/users/{id}:
//! edits, conflicts, self-protection, and the end of the affected user's sessions.
use crate::admin_support::*;
use crate::checks::*;
use serde_json::json;

admin_test!(an_edit_changes_only_the_given_fields, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.unverified_user().await;
    let id = user_id(&tokens);
    let body = json!({"first_name": "Grace", "last_name": "Hopper", "is_verified": true,
        "email": "  Grace.H@Example.com ", "unknown": 1});
    let edited = json_body(admin.update(id, &body).await, 200).await;
    assert_eq!(edited["email"], "grace.h@example.com");
    assert_eq!(
        (&edited["first_name"], &edited["last_name"]),
        (&json!("Grace"), &json!("Hopper"))
    );
    assert_eq!(
        (&edited["is_verified"], &edited["username"]),
        (&json!(true), &json!(user.username))
    );
    assert_eq!(
        (&edited["role"], &edited["is_active"]),
        (&json!("user"), &json!(true))
    );
    // Nothing about access changed, so the user's session goes on.
    json_body(app.profile(&tokens.access).await, 200).await;
    let renamed = json_body(
        admin
            .update(id, &json!({"username": "grace_h", "first_name": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (&renamed["username"], &renamed["first_name"]),
        (&json!("grace_h"), &json!("Grace"))
    );
    assert_detail(
        admin.update(987654321, &json!({"first_name": "X"})).await,
        404,
        "User not found",
    )
    .await;
});

admin_test!(taken_emails_and_usernames_are_400, |app| async move {
    let admin = Admin::initial(&app).await;
    let (other, _) = app.verified_user().await;
    let (_, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    let email = json!({"email": other.email.to_uppercase()});
    assert_detail(admin.update(id, &email).await, 400, "Email already exists").await;
    let username = json!({"username": other.username.to_uppercase()});
    assert_detail(admin.update(id, &username).await, 400, "Username already exists").await;
});

admin_test!(bad_edit_bodies_are_422, |app| async move {
    let admin = Admin::initial(&app).await;
    let (_, tokens) = app.verified_user().await;
    let path = format!("/api/admin/users/{}", user_id(&tokens));
    let cases = [
        (json!({"role": "root"}), "role", "string_pattern_mismatch"),
        (json!({"is_active": "nope"}), "is_active", "bool_type"),
        (json!({"email": "not-an-email"}), "email", "value_error"),
        (json!({"username": "ab"}), "username", "string_too_short"),
        (
            json!({"first_name": "x".repeat(101)}),
            "first_name",
            "string_too_long",
        ),
    ];
    for (body, field, kind) in cases {
        assert_validation(admin.put(&path, &body).await, &["body", field], kind).await;
    }
    assert_validation(
        admin.put("/api/admin/users/x", &json!({})).await,
        &["path", "id"],
        "int_parsing",
    )
    .await;
});

admin_test!(role_changes_and_their_refusals, |app| async move {
    let admin = Admin::initial(&app).await;
    let (_, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    let promoted = json_body(admin.set_role(id, "admin").await, 200).await;
    assert_eq!(promoted["role"], "admin");
    assert_eq!(
        json_body(admin.set_role(id, "user").await, 200).await["role"],
        "user"
    );
    assert_detail(
        admin.set_role(admin.id, "user").await,
        400,
        "Cannot change your own role",
    )
    .await;
    assert_detail(
        admin.set_role(admin.id, "admin").await,
        400,
        "Cannot change your own role",
    )
    .await;
    assert_detail(admin.set_role(987654321, "admin").await, 404, "User not found").await;
    let path = format!("/api/admin/users/{id}/role");
    for body in [
        json!({"role": "root"}),
        json!({"role": "Admin"}),
        json!({"role": " user"}),
    ] {
        assert_validation(
            admin.put(&path, &body).await,
            &["body", "role"],
            "string_pattern_mismatch",
        )
        .await;
    }
    assert_validation(admin.put(&path, &json!({})).await, &["body", "role"], "missing").await;
    let own = json!({"role": "user"});
    assert_detail(
        admin.update(admin.id, &own).await,
        400,
        "Cannot change your own role",
    )
    .await;
});

admin_test!(deleting_a_user_ends_everything_of_theirs, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    assert_message(
        admin.delete(&format!("/api/admin/users/{id}")).await,
        "User deleted successfully",
    )
    .await;
    assert_detail(
        admin.get(&format!("/api/admin/users/{id}")).await,
        404,
        "User not found",
    )
    .await;
    assert_unauthorized_with_one_of(
        app.profile(&tokens.access).await,
        &[INVALIDATED, INVALID_CREDENTIALS],
    )
    .await;
    assert_unauthorized_with_one_of(
        app.refresh(&tokens.refresh).await,
        &[INVALIDATED, INVALID_CREDENTIALS, "User not found"],
    )
    .await;
    assert_detail(
        app.login(&user.email, &user.password).await,
        401,
        "Incorrect email or password",
    )
    .await;
    assert_detail(
        admin.delete(&format!("/api/admin/users/{id}")).await,
        404,
        "User not found",
    )
    .await;
    // The address and username are free again.
    json_body(app.register(&user).await, 200).await;
});

admin_test!(nobody_deletes_or_disables_themself, |app| async move {
    let admin = Admin::initial(&app).await;
    let own = format!("/api/admin/users/{}", admin.id);
    assert_detail(admin.delete(&own).await, 400, "Cannot delete your own account").await;
    assert_detail(
        admin.update(admin.id, &json!({"is_active": false})).await,
        400,
        "Cannot disable your own account",
    )
    .await;
    // Harmless self-edits are fine.
    json_body(
        admin
            .update(admin.id, &json!({"first_name": "Root", "is_active": true}))
            .await,
        200,
    )
    .await;
    json_body(admin.get("/api/admin/stats").await, 200).await;
});

admin_test!(a_disabled_user_is_locked_out, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    let disabled = json_body(admin.update(id, &json!({"is_active": false})).await, 200).await;
    assert_eq!(disabled["is_active"], false);
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
    // Disabling revoked the session: its refresh token is invalidated (the contract's 401),
    // and stays so after the account is enabled again.
    assert_detail(app.refresh(&tokens.refresh).await, 401, INVALIDATED).await;
    assert_detail(
        app.login(&user.email, &user.password).await,
        403,
        "Account is disabled",
    )
    .await;
    // Enabled again, they can log in; the old session does not come back.
    json_body(admin.update(id, &json!({"is_active": true})).await, 200).await;
    let fresh = app.login_ok(&user).await;
    json_body(app.profile(&fresh.access).await, 200).await;
    assert_detail(app.refresh(&tokens.refresh).await, 401, INVALIDATED).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
});
