//! The janitors: expired sessions and tokens (a day past expiry), sent and dead emails (after
//! `EMAIL_RETENTION_DAYS`) and audit events (after `AUDIT_RETENTION_DAYS`) are removed; what
//! still counts stays, and users carry on. Rows are aged in the test's database rather than
//! waited for, then one pass is run through the stack.
use crate::checks::{INVALIDATED, assert_detail, assert_message, json_body};
use crate::helpers::{OTHER_PASSWORD, both_backends};
use crate::janitor_support::{
    Bind, DAY_MICROS, TestDb, deleted_totals, growth, now_micros, per_table, serial,
};
use crate::jwt::claims;
use std::collections::BTreeMap;
use testkit::mail::RESET_LINK;

both_backends!(expired_sessions_and_tokens_go_live_ones_stay, |app| async move {
    let _serial = serial().await;
    let db = TestDb::connect(&app).await;
    let (user, stale) = app.verified_user().await;
    let live = app.login_ok(&user).await;
    let rotated = app.refresh_ok(&live.refresh).await;
    let recent = app.login_ok(&user).await;
    assert_eq!(app.forgot_password(&user.email).await.status(), 200);
    let reset = app.mail.wait_for_token(&user.email, RESET_LINK, 1).await;

    let claim = |token: &str, name: &str| claims(token)[name].as_str().expect("a string claim").to_owned();
    let user_id: i64 = claim(&stale.access, "sub").parse().expect("a numeric sub");
    let (long_ago, an_hour_ago) = (now_micros() - 2 * DAY_MICROS, now_micros() - DAY_MICROS / 24);
    let age_session = |sid: String, at: i64| {
        let db = &db;
        async move {
            let sid = Bind::Text(&sid);
            let session = "UPDATE sessions SET expires_at = $1 WHERE id = $2";
            assert_eq!(db.execute(session, &[Bind::Int(at), sid]).await, 1);
            let tokens = "UPDATE refresh_tokens SET expires_at = $1 WHERE session_id = $2";
            db.execute(tokens, &[Bind::Int(at), sid]).await
        }
    };
    // Expired two days ago: the session and its one refresh token go.
    assert_eq!(age_session(claim(&stale.access, "sid"), long_ago).await, 1);
    // Expired an hour ago: refused already, but within the margin, so its rows stay.
    assert_eq!(age_session(claim(&recent.access, "sid"), an_hour_ago).await, 1);
    // A live session's first token, used by the rotation, expired two days ago: it goes alone.
    let used = "UPDATE refresh_tokens SET expires_at = $1 WHERE jti = $2";
    let jti = claim(&live.refresh, "jti");
    assert_eq!(
        db.execute(used, &[Bind::Int(long_ago), Bind::Text(&jti)]).await,
        1
    );
    // The used verification token expired two days ago; the reset token is live.
    let verify = "UPDATE one_time_tokens SET expires_at = $1 WHERE user_id = $2 AND purpose = 'verify_email'";
    assert_eq!(
        db.execute(verify, &[Bind::Int(long_ago), Bind::Int(user_id)])
            .await,
        1
    );

    let before = deleted_totals(&app).await;
    let swept = app.stack().janitor_pass().await.expect("a janitor pass");
    let expected = per_table(&[("refresh_tokens", 2), ("sessions", 1), ("one_time_tokens", 1)]);
    assert_eq!(swept, expected);
    assert_eq!(growth(&before, &deleted_totals(&app).await), expected);

    for (table, left) in [("sessions", 2), ("refresh_tokens", 2), ("one_time_tokens", 1)] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
        assert_eq!(db.count(&sql, &[Bind::Int(user_id)]).await, left, "{table}");
    }
    // A second pass finds nothing more.
    assert_eq!(
        app.stack().janitor_pass().await.expect("a janitor pass"),
        per_table(&[])
    );

    // The removed session is over; everything live works as before.
    assert_detail(app.refresh(&stale.refresh).await, 401, INVALIDATED).await;
    app.refresh_ok(&rotated.refresh).await;
    json_body(app.profile(&rotated.access).await, 200).await;
    assert_message(
        app.reset_password(&reset, OTHER_PASSWORD).await,
        "Password reset successfully",
    )
    .await;
    json_body(app.login(&user.email, OTHER_PASSWORD).await, 200).await;
    db.close().await;
});

/// Inserts an email in `status`, created at `created`, with `next_attempt_at` and `sent_at`.
async fn insert_email(db: &TestDb, key: &str, status: &str, created: i64, next: i64, sent: Option<i64>) {
    let sql = "INSERT INTO email_queue (idempotency_key, kind, recipient, subject, body_text, body_html, \
               message_id, status, next_attempt_at, locked_until, created_at, sent_at) \
               VALUES ($1, 'verification', 'old@example.com', 's', '', '', $1, $2, $3, $4, $5, $6)";
    // A `sending` email is leased for a day: no dispatcher takes it back meanwhile.
    let lease = now_micros() + DAY_MICROS;
    let binds = [
        Bind::Text(key),
        Bind::Text(status),
        Bind::Int(next),
        Bind::Int(lease),
        Bind::Int(created),
        sent.map_or(Bind::Null, Bind::Int),
    ];
    assert_eq!(db.execute(sql, &binds).await, 1);
}

both_backends!(
    old_sent_and_dead_emails_and_old_audit_events_go,
    |app| async move {
        let _serial = serial().await;
        let db = TestDb::connect(&app).await;
        let (user, tokens) = app.verified_user().await;
        let sent = "SELECT COUNT(*) FROM email_queue WHERE status = 'sent'";
        app.wait_for_count(sent, 1).await;

        let now = now_micros();
        let (old, recent) = (now - 31 * DAY_MICROS, now - 29 * DAY_MICROS);
        insert_email(&db, "old-sent", "sent", old, old, Some(old)).await;
        insert_email(&db, "old-dead", "dead", old, old, None).await;
        insert_email(&db, "recent-dead", "dead", old, recent, None).await;
        // Old but not finished: a retry due tomorrow, and one being sent right now.
        insert_email(&db, "old-pending", "pending", old, now + DAY_MICROS, None).await;
        insert_email(&db, "old-sending", "sending", old, old, None).await;
        let audit = "INSERT INTO audit_events (at, action) VALUES ($1, $2)";
        for (at, action) in [
            (now - 400 * DAY_MICROS, "janitor_test_old"),
            (now - 366 * DAY_MICROS, "janitor_test_old"),
            (now - 364 * DAY_MICROS, "janitor_test_kept"),
        ] {
            assert_eq!(db.execute(audit, &[Bind::Int(at), Bind::Text(action)]).await, 1);
        }

        let before = deleted_totals(&app).await;
        let swept = app.stack().janitor_pass().await.expect("a janitor pass");
        let expected = per_table(&[("email_queue", 2), ("audit_events", 2)]);
        assert_eq!(swept, expected);
        assert_eq!(growth(&before, &deleted_totals(&app).await), expected);

        let kept = "SELECT COUNT(*) FROM email_queue WHERE idempotency_key = $1";
        for (key, count) in [
            ("old-sent", 0),
            ("old-dead", 0),
            ("recent-dead", 1),
            ("old-pending", 1),
            ("old-sending", 1),
        ] {
            assert_eq!(db.count(kept, &[Bind::Text(key)]).await, count, "{key}");
        }
        // The verification email sent just now stays too.
        assert_eq!(db.count(sent, &[]).await, 1);
        let events = "SELECT COUNT(*) FROM audit_events WHERE action = $1";
        assert_eq!(db.count(events, &[Bind::Text("janitor_test_old")]).await, 0);
        assert_eq!(db.count(events, &[Bind::Text("janitor_test_kept")]).await, 1);
        assert!(
            db.count("SELECT COUNT(*) FROM audit_events WHERE action = 'login'", &[])
                .await
                >= 1
        );

        app.refresh_ok(&tokens.refresh).await;
        app.login_ok(&user).await;
        db.close().await;
    }
);

/// More than two batches per table, so that the passes below overlap batch by batch.
const MANY: i64 = 2500;

both_backends!(janitor_passes_at_once_remove_each_row_once, |app| async move {
    let _serial = serial().await;
    let db = TestDb::connect(&app).await;
    let (user, tokens) = app.verified_user().await;
    let long_ago = Bind::Int(now_micros() - 400 * DAY_MICROS);
    let numbers =
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MANY}) ");
    for insert in [
        "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         SELECT 'bulk-' || i, 0, 'reset_password', $1, $1 FROM n",
        "INSERT INTO email_queue (idempotency_key, kind, recipient, subject, body_text, body_html, \
         message_id, status, next_attempt_at, created_at) \
         SELECT 'bulk-' || i, 'verification', 'old@example.com', 's', '', '', 'bulk-' || i, 'dead', $1, $1 FROM n",
        "INSERT INTO audit_events (at, action) SELECT $1, 'janitor_test_bulk' FROM n",
    ] {
        let sql = format!("{numbers}{insert}");
        assert_eq!(db.execute(&sql, &[long_ago]).await, MANY as u64);
    }

    let before = deleted_totals(&app).await;
    let (first, second) = tokio::join!(app.stack().janitor_pass(), app.stack().janitor_pass());
    let (first, second) = (first.expect("the first pass"), second.expect("the second pass"));
    let expected = per_table(&[
        ("one_time_tokens", MANY as u64),
        ("email_queue", MANY as u64),
        ("audit_events", MANY as u64),
    ]);
    let together: BTreeMap<_, _> = first
        .iter()
        .map(|(table, n)| (*table, n + second[table]))
        .collect();
    assert_eq!(together, expected, "first {first:?}, second {second:?}");
    assert_eq!(growth(&before, &deleted_totals(&app).await), expected);
    for left in [
        "SELECT COUNT(*) FROM one_time_tokens WHERE token_hash LIKE 'bulk-%'",
        "SELECT COUNT(*) FROM email_queue WHERE idempotency_key LIKE 'bulk-%'",
        "SELECT COUNT(*) FROM audit_events WHERE action = 'janitor_test_bulk'",
    ] {
        assert_eq!(db.count(left, &[]).await, 0, "{left}");
    }

    app.refresh_ok(&tokens.refresh).await;
    app.login_ok(&user).await;
    db.close().await;
});

both_backends!(
    janitor_runs_on_its_interval,
    env = [("JANITOR_INTERVAL_SECS", "1")],
    |app| async move {
        let _serial = serial().await;
        let db = TestDb::connect(&app).await;
        let old = now_micros() - 400 * DAY_MICROS;
        let audit = "INSERT INTO audit_events (at, action) VALUES ($1, 'janitor_test_interval')";
        assert_eq!(db.execute(audit, &[Bind::Int(old)]).await, 1);
        let left = "SELECT COUNT(*) FROM audit_events WHERE action = 'janitor_test_interval'";
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        while db.count(left, &[]).await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no janitor pass within 15 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        db.close().await;
    }
);
