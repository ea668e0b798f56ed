//! `DELETE /api/user/account`: the password check, and that nothing of a deleted user is left
//! in any service's tables (read directly from the database) or in avatar storage.
use crate::avatar::{BASE_URL, picture, stored_files, upload_ok};
use crate::checks::{INVALIDATED, assert_detail, assert_message, assert_unauthorized_with_one_of, json_body};
use crate::helpers::{TestApp, TestUser, both_backends};
use astro_store::Db;
use image::ImageFormat;
use reqwest::Response;
use serde_json::{Value, json};

const DELETED: &str = "Account deleted successfully";

async fn delete_account(app: &TestApp, token: &str, body: Option<Value>) -> Response {
    let mut request = app.client.delete(app.url("/api/user/account")).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sending DELETE /account")
}

/// `SELECT COUNT(*) FROM {table} WHERE {filter}` with `$1` bound to `value`, on whichever
/// database the app uses.
async fn count(db: &Db, table: &str, filter: &str, value: &Value) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE {filter}"));
    let row = match (db, value) {
        (Db::Postgres(pool), Value::Number(n)) => {
            sqlx::query_scalar(sql).bind(n.as_i64()).fetch_one(pool).await
        }
        (Db::Postgres(pool), Value::String(s)) => sqlx::query_scalar(sql).bind(s).fetch_one(pool).await,
        (Db::Sqlite(pool), Value::Number(n)) => {
            sqlx::query_scalar(sql).bind(n.as_i64()).fetch_one(pool).await
        }
        (Db::Sqlite(pool), Value::String(s)) => sqlx::query_scalar(sql).bind(s).fetch_one(pool).await,
        (_, other) => panic!("cannot bind {other}"),
    };
    row.unwrap_or_else(|e| panic!("counting {table}: {e}"))
}

/// Rows that belong to the user with this id and email, per table, in every service. The
/// account-deleted notice may still be on its way (auth's outbox, then the notification
/// queue); nothing else may remain.
async fn leftovers(app: &TestApp, id: i64, email: &str) -> Vec<(&'static str, i64)> {
    let db = app.db().await;
    let (id, email) = (json!(id), json!(email));
    let mut found = Vec::new();
    for (table, filter, value) in [
        ("users", "id = $1", &id),
        ("users", "email = $1", &email),
        ("sessions", "user_id = $1", &id),
        ("refresh_tokens", "user_id = $1", &id),
        ("one_time_tokens", "user_id = $1", &id),
        // 4 is EMAIL_KIND_ACCOUNT_DELETED (notification.proto).
        ("email_outbox", "user_id = $1 AND kind <> 4", &id),
        (
            "email_queue",
            "recipient = $1 AND kind <> 'account_deleted'",
            &email,
        ),
    ] {
        found.push((table, count(&db, table, filter, value).await));
    }
    db.close().await;
    found
}

/// The audit log still says that an account was deleted, but no longer whose: once the
/// (asynchronously recorded) deletion event is in, no event names the user's id or email.
async fn assert_audit_log_forgot(app: &TestApp, id: i64, email: &str) {
    let db = app.db().await;
    let deleted = json!("account_deleted");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while count(&db, "audit_events", "action = $1", &deleted).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no account_deleted audit event"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let by_id = count(&db, "audit_events", "actor_id = $1 OR target_id = $1", &json!(id)).await;
    let by_email = count(
        &db,
        "audit_events",
        "details LIKE $1",
        &json!(format!("%{email}%")),
    )
    .await;
    db.close().await;
    assert_eq!(
        (by_id, by_email),
        (0, 0),
        "audit events still name the deleted user"
    );
}

fn nothing_left(found: &[(&str, i64)]) -> bool {
    found.iter().all(|(_, n)| *n == 0)
}

/// A verified user with a password reset pending and an avatar: data in every table.
async fn busy_user(app: &TestApp) -> (TestUser, crate::helpers::Tokens, i64) {
    let (user, tokens) = app.verified_user().await;
    json_body(app.forgot_password(&user.email).await, 200).await;
    app.mail
        .wait_for_token(&user.email, testkit::mail::RESET_LINK, 1)
        .await;
    upload_ok(
        app,
        &tokens.access,
        picture(120, 80, ImageFormat::Png),
        "image/png",
    )
    .await;
    let id = json_body(app.profile(&tokens.access).await, 200).await["id"]
        .as_i64()
        .unwrap();
    (user, tokens, id)
}

both_backends!(
    a_wrong_password_deletes_nothing,
    env = [("BASE_URL", BASE_URL)],
    |app| async move {
        let (user, tokens, id) = busy_user(&app).await;
        let response = delete_account(
            &app,
            &tokens.access,
            Some(json!({"password": "Wrong-Password-42!"})),
        )
        .await;
        assert_detail(response, 400, "Password is incorrect").await;
        json_body(app.profile(&tokens.access).await, 200).await;
        app.refresh_ok(&tokens.refresh).await;
        assert_eq!(stored_files(&app).len(), 1);
        let found = leftovers(&app, id, &user.email).await;
        assert_eq!(
            found.iter().find(|(t, _)| *t == "users").map(|(_, n)| *n),
            Some(1),
            "{found:?}"
        );
    }
);

both_backends!(
    deletion_leaves_nothing_behind,
    env = [("BASE_URL", BASE_URL)],
    |app| async move {
        let (user, tokens, id) = busy_user(&app).await;
        let other_session = app.login_ok(&user).await;
        let response = delete_account(&app, &tokens.access, Some(json!({"password": user.password}))).await;
        assert_message(response, DELETED).await;
        // Before the login attempt below, which records a failed login for the address anew.
        assert_audit_log_forgot(&app, id, &user.email).await;

        // Every token is dead at once.
        for access in [&tokens.access, &other_session.access] {
            let allowed = [INVALIDATED, crate::checks::INVALID_CREDENTIALS];
            assert_unauthorized_with_one_of(app.profile(access).await, &allowed).await;
        }
        assert_eq!(app.refresh(&other_session.refresh).await.status(), 401);
        assert_detail(
            app.login(&user.email, &user.password).await,
            401,
            "Incorrect email or password",
        )
        .await;

        let found = leftovers(&app, id, &user.email).await;
        assert!(nothing_left(&found), "left behind: {found:?}");
        assert!(
            stored_files(&app).is_empty(),
            "avatar files left: {:?}",
            stored_files(&app)
        );
        let notices = app
            .mail
            .wait_for_emails(&user.email, 1, |e| e.subject.contains("account was deleted"))
            .await;
        assert_eq!(notices.len(), 1);

        // The address is free again.
        json_body(app.register(&user).await, 200).await;
    }
);

both_backends!(the_password_confirmation_is_optional, |app| async move {
    let (user, tokens) = app.verified_user().await;
    assert_message(delete_account(&app, &tokens.access, None).await, DELETED).await;
    assert_detail(
        app.login(&user.email, &user.password).await,
        401,
        "Incorrect email or password",
    )
    .await;
});
