//! Email that cannot be delivered ends `dead` rather than retrying for ever, and admins see the
//! queue's counts in `GET /api/admin/stats`, which answers even while notification is down.
use crate::admin_support::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_USERNAME, Admin, admin_test, send};
use crate::checks::json_body;
use crate::helpers::{TestApp, TestUser, Tokens};
use crate::notification_support::UNSETTLED;
use crate::smtp::smtp_test;
use astro_auth::Service;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::smtp::Recipients;

/// Dead after the one attempt a permanent refusal allows.
const DEAD_AT_ONCE: &str = "SELECT COUNT(*) FROM email_queue WHERE status = 'dead' AND attempts = 1";
/// Dead after `MAIL_MAX_ATTEMPTS=2` transient failures.
const DEAD_AFTER_TWO: &str = "SELECT COUNT(*) FROM email_queue WHERE status = 'dead' AND attempts = 2";

async fn stats(app: &TestApp, tokens: &Tokens) -> Value {
    let response = send(app, Method::GET, "/api/admin/stats", Some(&tokens.access), None).await;
    json_body(response, 200).await
}

fn email_counts(stats: &Value) -> Value {
    json!([stats["email_pending"], stats["email_sent"], stats["email_dead"]])
}

/// Registers a user whose verification email cannot be delivered; waits until it is dead
/// (`dead_query` counts 1) and checks what the initial admin's statistics say.
async fn assert_counted_dead(app: &TestApp, dead_query: &'static str) {
    let admin = Admin::initial(app).await.tokens;
    assert_eq!(email_counts(&stats(app, &admin).await), json!([0, 0, 0]));
    json_body(app.register(&TestUser::random()).await, 200).await;
    app.wait_for_count(dead_query, 1).await;
    assert_eq!(app.count(UNSETTLED).await, 0);
    assert_eq!(email_counts(&stats(app, &admin).await), json!([0, 0, 1]));
}

smtp_test!(
    refused_email_is_dead_at_once_and_counted,
    env = [
        ("INITIAL_ADMIN_EMAIL", ADMIN_EMAIL),
        ("INITIAL_ADMIN_USERNAME", ADMIN_USERNAME),
        ("INITIAL_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ],
    |app, smtp| async move {
        let smtp = smtp.start(Recipients::Refuse);
        assert_counted_dead(&app, DEAD_AT_ONCE).await;
        assert!(smtp.received().is_empty());
    }
);

smtp_test!(
    email_is_dead_after_max_attempts_and_counted,
    env = [
        ("INITIAL_ADMIN_EMAIL", ADMIN_EMAIL),
        ("INITIAL_ADMIN_USERNAME", ADMIN_USERNAME),
        ("INITIAL_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("MAIL_MAX_ATTEMPTS", "2"),
    ],
    // The SMTP port stays closed.
    |app, _smtp| async move {
        assert_counted_dead(&app, DEAD_AFTER_TWO).await;
    }
);

admin_test!(
    stats_answer_without_email_counts_while_notification_is_down,
    |app| async move {
        let mut app = app;
        let admin = Admin::initial(&app).await.tokens;
        let before = stats(&app, &admin).await;
        assert!(before["email_sent"].is_u64(), "{before}");

        app.stack_mut()
            .stop_service(Service::Notification)
            .await
            .expect("stopping notification");
        let during = stats(&app, &admin).await;
        assert_eq!(email_counts(&during), json!([null, null, null]));
        assert_eq!(during["total_users"], before["total_users"]);

        app.stack_mut()
            .restart_service(Service::Notification)
            .await
            .expect("restarting notification");
        assert_eq!(email_counts(&stats(&app, &admin).await), email_counts(&before));
    }
);
