//! GET /api/admin/audit-log: every admin action is recorded with who, whom, from where and in
//! which trace; newest first, paged and filtered.
use crate::admin_support::*;
use crate::checks::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn events(log: &Value) -> &Vec<Value> {
    log["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {log}"))
}

/// The events of `action`, from a log read with `query`.
async fn of_action(admin: &Admin<'_>, action: &str) -> Vec<Value> {
    events(&admin.audit(&format!("action={action}&per_page=100")).await).clone()
}

admin_test!(
    admin_actions_are_recorded_with_actor_target_and_client,
    |app| async move {
        let admin = Admin::initial(&app).await;
        let (user, tokens) = app.verified_user().await;
        let id = user_id(&tokens);
        json_body(admin.update(id, &json!({"first_name": "Audited"})).await, 200).await;
        json_body(admin.set_role(id, "admin").await, 200).await;

        let mine = admin_events(&admin).await;
        let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
        // Newest first.
        assert_eq!(actions, ["admin.role_changed", "admin.user_updated"]);
        for event in &mine {
            let keys: BTreeSet<&str> = event.as_object().unwrap().keys().map(String::as_str).collect();
            let expected = [
                "id",
                "at",
                "action",
                "actor_id",
                "target_id",
                "ip",
                "user_agent",
                "trace_id",
                "details",
            ];
            assert_eq!(keys, BTreeSet::from(expected));
            assert_eq!(event["target_id"], json!(id));
            assert_eq!(event["ip"], "127.0.0.1");
            assert!(event["at"].as_str().unwrap().ends_with('Z'));
            assert_eq!(event["trace_id"].as_str().unwrap().len(), 32, "{event}");
        }
        assert_eq!(mine[1]["details"], json!({"changes": {"first_name": "Audited"}}));
        assert_eq!(mine[0]["details"], json!({"from": "user", "to": "admin"}));
        let ids: Vec<i64> = mine.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

        // Deleting the user keeps what the admin did, and when, but forgets whom: nothing of a
        // deleted user stays in any table.
        assert_message(
            admin.delete(&format!("/api/admin/users/{id}")).await,
            "User deleted successfully",
        )
        .await;
        let mine = admin_events(&admin).await;
        let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["admin.user_deleted", "admin.role_changed", "admin.user_updated"]
        );
        for event in &mine {
            assert_eq!(event["target_id"], Value::Null, "{event}");
            assert_eq!(event["details"], json!({}), "{event}");
            // The admin's own address stays: they are not the one deleted.
            assert_eq!(event["ip"], "127.0.0.1");
        }
        assert!(
            !admin
                .audit("per_page=100")
                .await
                .to_string()
                .contains(&user.email)
        );
    }
);

/// The admin's own `admin.*` events, newest first.
async fn admin_events(admin: &Admin<'_>) -> Vec<Value> {
    let log = admin.audit("per_page=100").await;
    events(&log)
        .iter()
        // Other services record events too (logins, say): only the admin's own actions.
        .filter(|e| e["actor_id"] == json!(admin.id) && e["action"].as_str().unwrap().starts_with("admin."))
        .cloned()
        .collect()
}

admin_test!(the_user_agent_and_trace_are_kept, |app| async move {
    let admin = Admin::initial(&app).await;
    let (_, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = app
        .client
        .put(app.url(&format!("/api/admin/users/{id}")))
        .bearer_auth(&admin.tokens.access)
        .header("user-agent", "audit-test/1.0")
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({"last_name": "Traced"}))
        .send()
        .await
        .unwrap();
    json_body(response, 200).await;
    let updated = of_action(&admin, "admin.user_updated").await;
    assert_eq!(updated[0]["user_agent"], "audit-test/1.0");
    // The gateway may start a trace of its own; either way the event names one.
    let recorded = updated[0]["trace_id"].as_str().unwrap();
    assert!(recorded == trace || recorded.len() == 32, "{recorded}");
});

admin_test!(the_log_filters_by_user_action_and_time, |app| async move {
    let admin = Admin::initial(&app).await;
    let (_, first) = app.verified_user().await;
    let (_, second) = app.verified_user().await;
    let (first, second) = (user_id(&first), user_id(&second));
    for id in [first, second, first] {
        json_body(admin.update(id, &json!({"first_name": "F"})).await, 200).await;
    }
    json_body(admin.set_role(second, "admin").await, 200).await;

    let by_user = |log: &Value| -> BTreeSet<i64> {
        events(log)
            .iter()
            .filter_map(|e| e["target_id"].as_i64())
            .collect()
    };
    let log = admin
        .audit(&format!("user_id={first}&action=admin.user_updated"))
        .await;
    assert_eq!(
        (log["total"].as_u64(), by_user(&log)),
        (Some(2), BTreeSet::from([first]))
    );
    // As actor too: every admin action of the initial admin.
    let log = admin.audit(&format!("user_id={}", admin.id)).await;
    assert!(log["total"].as_u64().unwrap() >= 4, "{log}");
    assert_eq!(of_action(&admin, "admin.role_changed").await.len(), 1);
    assert_eq!(admin.audit("action=no.such.action").await["total"], 0);

    let all = admin.audit("per_page=100").await;
    let newest = &events(&all)[0];
    let at = newest["at"].as_str().unwrap();
    let log = admin.audit(&format!("since={at}")).await;
    assert!(
        events(&log).iter().any(|e| e["id"] == newest["id"]),
        "since is inclusive: {log}"
    );
    let log = admin.audit(&format!("until={at}&per_page=100")).await;
    assert!(
        events(&log).iter().any(|e| e["id"] == newest["id"]),
        "until is inclusive: {log}"
    );
    let log = admin.audit("since=2999-01-01T00:00:00Z").await;
    assert_eq!((&log["total"], &log["pages"]), (&json!(0), &json!(0)));
    let log = admin.audit("until=2000-01-01T00:00:00Z").await;
    assert_eq!(log["total"], 0);
});

admin_test!(the_log_pages_like_the_user_list, |app| async move {
    let admin = Admin::initial(&app).await;
    let (_, tokens) = app.verified_user().await;
    let id = user_id(&tokens);
    for name in ["A", "B", "C", "D", "E"] {
        json_body(admin.update(id, &json!({"first_name": name})).await, 200).await;
    }
    let query = format!("user_id={id}&action=admin.user_updated&per_page=2");
    let page = |n: u32| {
        let query = format!("{query}&page={n}");
        let admin = &admin;
        async move { admin.audit(&query).await }
    };
    let first = page(1).await;
    assert_eq!(
        (
            &first["total"],
            &first["page"],
            &first["per_page"],
            &first["pages"]
        ),
        (&json!(5), &json!(1), &json!(2), &json!(3))
    );
    assert_eq!(
        events(&first)[0]["details"],
        json!({"changes": {"first_name": "E"}})
    );
    assert_eq!(events(&page(3).await).len(), 1);
    assert_eq!(events(&page(4).await).len(), 0);
});

admin_test!(bad_log_queries_are_422, |app| async move {
    let admin = Admin::initial(&app).await;
    let cases = [
        ("since=yesterday", "since", "datetime_parsing"),
        ("until=2026-13-01T00:00:00Z", "until", "datetime_parsing"),
        ("user_id=me", "user_id", "int_parsing"),
        ("per_page=500", "per_page", "less_than_equal"),
        ("page=-1", "page", "greater_than_equal"),
    ];
    for (query, field, kind) in cases {
        let response = admin.get(&format!("/api/admin/audit-log?{query}")).await;
        assert_validation(response, &["query", field], kind).await;
    }
});
