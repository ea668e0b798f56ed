//! The last admin is never removed, also when two admins act against each other at the same
//! moment; and GET /api/admin/stats.
use crate::admin_support::*;
use crate::checks::*;
use crate::helpers::*;
use serde_json::{Value, json};

/// How many active, verified admins the listing shows.
async fn working_admins(admin: &Admin<'_>) -> usize {
    let listing = admin
        .list("role=admin&is_active=true&is_verified=true&per_page=100")
        .await;
    listing["users"].as_array().unwrap().len()
}

/// Two admins each try to take the other's admin rights away at once (demote, disable or
/// delete). One may win; the other must be refused. At least one working admin remains.
async fn race(app: &TestApp, attack: fn(&Admin<'_>, i64) -> (reqwest::Method, String, Option<Value>)) {
    let root = Admin::initial(app).await;
    let (_, a) = root.second_admin().await;
    let (_, b) = root.second_admin().await;
    // Leave only `a` and `b` as admins, so their duel decides whether any admin remains.
    json_body(a.set_role(root.id, "user").await, 200).await;
    let (method_a, path_a, body_a) = attack(&a, b.id);
    let (method_b, path_b, body_b) = attack(&b, a.id);
    let (first, second) = futures::join!(
        send(app, method_a, &path_a, Some(&a.tokens.access), body_a.as_ref()),
        send(app, method_b, &path_b, Some(&b.tokens.access), body_b.as_ref()),
    );
    let statuses = [first.status().as_u16(), second.status().as_u16()];
    let details: Vec<Value> = futures::future::join_all([first, second].map(|r| r.json::<Value>()))
        .await
        .into_iter()
        .map(|body| body.unwrap_or_default())
        .collect();
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "both won: {details:?}"
    );
    for (status, detail) in statuses.iter().zip(&details) {
        let allowed = [
            json!({"detail": "Cannot remove the last admin"}),
            json!({"detail": INVALIDATED}),
            json!({"detail": NOT_ADMIN}),
            json!({"detail": INVALID_CREDENTIALS}),
            json!({"detail": "Account is disabled"}),
        ];
        assert!(*status == 200 || allowed.contains(detail), "{status} {detail}");
    }
    let survivor = if statuses[0] == 200 || statuses[1] != 200 {
        &a
    } else {
        &b
    };
    let fresh = Admin::with(app, survivor.tokens.clone());
    assert_eq!(working_admins(&fresh).await, 1, "{statuses:?} {details:?}");
}

admin_test!(two_admins_demoting_each_other_leave_one, |app| async move {
    race(&app, |_, id| {
        (
            reqwest::Method::PUT,
            format!("/api/admin/users/{id}/role"),
            Some(json!({"role": "user"})),
        )
    })
    .await;
});

admin_test!(two_admins_disabling_each_other_leave_one, |app| async move {
    race(&app, |_, id| {
        (
            reqwest::Method::PUT,
            format!("/api/admin/users/{id}"),
            Some(json!({"is_active": false})),
        )
    })
    .await;
});

admin_test!(two_admins_deleting_each_other_leave_one, |app| async move {
    race(&app, |_, id| {
        (reqwest::Method::DELETE, format!("/api/admin/users/{id}"), None)
    })
    .await;
});

admin_test!(stats_count_users, |app| async move {
    let admin = Admin::initial(&app).await;
    app.verified_user().await;
    app.unverified_user().await;
    let (_, disabled) = app.verified_user().await;
    json_body(
        admin
            .update(user_id(&disabled), &json!({"is_active": false}))
            .await,
        200,
    )
    .await;
    let mut stats = json_body(admin.get("/api/admin/stats").await, 200).await;
    // The email queue's counts depend on how far delivery got; they are there, as numbers.
    let counts = stats.as_object_mut().expect("an object");
    for field in ["email_pending", "email_sent", "email_dead"] {
        let count = counts.remove(field);
        assert!(count.as_ref().is_some_and(|c| c.is_u64()), "{field}: {count:?}");
    }
    assert_eq!(
        stats,
        json!({"total_users": 4, "verified_users": 3, "unverified_users": 1, "admin_users": 1,
            "recent_registrations": 4, "active_users": 3, "disabled_users": 1})
    );
});

// Registrations from many clients at once land on the counters' shards concurrently (on
// PostgreSQL), on the one counter row (on SQLite); none may be lost.
admin_test!(stats_count_concurrent_registrations, |app| async move {
    let admin = Admin::initial(&app).await;
    let users: Vec<TestUser> = (0..16).map(|_| TestUser::random()).collect();
    let registered = futures::future::join_all(users.iter().map(|user| app.register(user))).await;
    for response in registered {
        json_body(response, 200).await;
    }
    let stats = json_body(admin.get("/api/admin/stats").await, 200).await;
    let counts: Value = [
        "total_users",
        "verified_users",
        "unverified_users",
        "admin_users",
        "recent_registrations",
        "active_users",
        "disabled_users",
    ]
    .into_iter()
    .map(|field| (field.to_owned(), stats[field].clone()))
    .collect::<serde_json::Map<_, _>>()
    .into();
    assert_eq!(
        counts,
        json!({"total_users": 17, "verified_users": 1, "unverified_users": 16, "admin_users": 1,
            "recent_registrations": 17, "active_users": 17, "disabled_users": 0})
    );
    let listing = admin.list("per_page=1").await;
    assert_eq!(listing["total"], 17);
});
