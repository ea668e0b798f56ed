//! GET /api/admin/users and GET /api/admin/users/{id}: paging, filters, order, search, and
//! FastAPI-shaped refusals of bad parameters.
use crate::admin_support::*;
use crate::checks::*;
use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Registers a user with the given names; returns its email.
async fn register_named(app: &TestApp, username: &str, first: &str, last: &str) -> String {
    let email = format!("{}@example.com", username.to_lowercase());
    let body = json!({"email": email, "username": username, "password": PASSWORD,
        "first_name": first, "last_name": last});
    json_body(app.post_json("/api/auth/register", &body).await, 200).await;
    email
}

fn paging(listing: &Value) -> (u64, u64, u64, u64, usize) {
    let n = |k: &str| {
        listing[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in {listing}"))
    };
    let users = listing["users"].as_array().expect("users").len();
    (n("total"), n("page"), n("per_page"), n("pages"), users)
}

admin_test!(pages_add_up_for_zero_one_and_three_pages, |app| async move {
    let admin = Admin::initial(&app).await;
    assert_eq!(
        paging(&admin.list("search=nobody-matches-this").await),
        (0, 1, 20, 0, 0)
    );
    assert_eq!(paging(&admin.list("").await), (1, 1, 20, 1, 1));
    for _ in 0..4 {
        json_body(app.register(&TestUser::random()).await, 200).await;
    }
    assert_eq!(paging(&admin.list("per_page=2").await), (5, 1, 2, 3, 2));
    assert_eq!(paging(&admin.list("per_page=2&page=2").await), (5, 2, 2, 3, 2));
    assert_eq!(paging(&admin.list("per_page=2&page=3").await), (5, 3, 2, 3, 1));
    assert_eq!(paging(&admin.list("per_page=2&page=4").await), (5, 4, 2, 3, 0));
    assert_eq!(paging(&admin.list("per_page=100").await), (5, 1, 100, 1, 5));
    // Every user appears exactly once across the pages.
    let mut seen = BTreeSet::new();
    for page in 1..=3 {
        seen.extend(emails(&admin.list(&format!("per_page=2&page={page}")).await));
    }
    assert_eq!(seen.len(), 5);
});

admin_test!(listed_users_have_the_user_shape, |app| async move {
    let admin = Admin::initial(&app).await;
    let listing = admin.list("").await;
    let keys: BTreeSet<&str> = listing.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["users", "total", "page", "per_page", "pages"])
    );
    let user = &listing["users"][0];
    let keys: BTreeSet<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
    let expected = [
        "id",
        "email",
        "username",
        "first_name",
        "last_name",
        "role",
        "is_verified",
        "is_active",
        "avatar_url",
        "created_at",
        "updated_at",
        "last_login_at",
        // Issue 16: the admin sees whether two-factor authentication is on.
        "mfa_enabled",
    ];
    assert_eq!(keys, BTreeSet::from(expected));
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(user.get("password_hash").is_none());
    let one = json_body(admin.get(&format!("/api/admin/users/{}", admin.id)).await, 200).await;
    assert_eq!(&one, user);
});

admin_test!(
    search_matches_percent_underscore_and_quote_literally,
    |app| async move {
        let admin = Admin::initial(&app).await;
        let percent = register_named(&app, "zqpercent", "Ann%Lee", "Smith").await;
        register_named(&app, "zqplain", "AnnXLee", "Smith").await;
        let underscore = register_named(&app, "zq_under", "Bob", "Jones").await;
        register_named(&app, "zqxunder", "Bob", "Jones").await;
        let quote = register_named(&app, "zqquote", "Cid", "O'Brien").await;
        register_named(&app, "zqnoquote", "Cid", "OBrien").await;
        assert_eq!(emails(&admin.list("search=n%25L").await), [percent.as_str()]);
        assert_eq!(emails(&admin.list("search=zq_u").await), [underscore]);
        assert_eq!(emails(&admin.list("search=O%27B").await), [quote]);
        // Case-insensitive, and across email, username and names.
        assert_eq!(emails(&admin.list("search=ANN%25lee").await), [percent]);
        assert_eq!(paging(&admin.list("search=ZQ").await).0, 6);
        assert_eq!(paging(&admin.list("search=smith").await).0, 2);
        assert_eq!(paging(&admin.list("search=%25").await).0, 1);
        assert_eq!(paging(&admin.list("search=_").await).0, 1);
    }
);

admin_test!(filters_by_role_verification_and_activity, |app| async move {
    let admin = Admin::initial(&app).await;
    let (verified, tokens) = app.verified_user().await;
    let (unverified, _) = app.unverified_user().await;
    let (disabled, disabled_tokens) = app.verified_user().await;
    json_body(
        admin
            .update(user_id(&disabled_tokens), &json!({"is_active": false}))
            .await,
        200,
    )
    .await;
    assert_eq!(emails(&admin.list("role=admin").await), [ADMIN_EMAIL]);
    assert_eq!(paging(&admin.list("role=user").await).0, 3);
    assert_eq!(
        emails(&admin.list("is_verified=false").await),
        [unverified.email.as_str()]
    );
    assert_eq!(paging(&admin.list("is_verified=true").await).0, 3);
    assert_eq!(
        emails(&admin.list("is_active=false").await),
        [disabled.email.as_str()]
    );
    assert_eq!(emails(&admin.list("is_active=0").await), [disabled.email]);
    let both = admin.list("role=user&is_verified=true&is_active=true").await;
    assert_eq!(emails(&both), [verified.email]);
    assert_eq!(user_id(&tokens), both["users"][0]["id"].as_i64().unwrap());
});

admin_test!(sorts_by_the_requested_column_either_way, |app| async move {
    let admin = Admin::initial(&app).await;
    for name in ["mike", "alpha", "zulu"] {
        register_named(
            &app,
            &format!("{name}{}", &uuid::Uuid::new_v4().simple().to_string()[..6]),
            "N",
            "N",
        )
        .await;
    }
    let by_email = emails(&admin.list("sort=email").await);
    let mut sorted = by_email.clone();
    sorted.sort();
    assert_eq!(by_email, sorted);
    let mut reversed = emails(&admin.list("sort=-email").await);
    reversed.reverse();
    assert_eq!(reversed, sorted);
    let usernames = |listing: Value| -> Vec<String> {
        listing["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_name = usernames(admin.list("sort=username").await);
    assert_eq!(by_name.first().map(|n| &n[..5]), Some("alpha"));
    assert_eq!(by_name.last().map(|n| &n[..4]), Some("zulu"));
    // Default: oldest first, ties by id; `-created_at` is the exact reverse.
    let oldest_first = emails(&admin.list("").await);
    assert_eq!(oldest_first[0], ADMIN_EMAIL);
    let mut newest_first = emails(&admin.list("sort=-created_at").await);
    newest_first.reverse();
    assert_eq!(newest_first, oldest_first);
});

admin_test!(bad_query_values_are_422_at_their_location, |app| async move {
    let admin = Admin::initial(&app).await;
    let cases = [
        ("page=0", "page", "greater_than_equal"),
        ("page=abc", "page", "int_parsing"),
        ("per_page=0", "per_page", "greater_than_equal"),
        ("per_page=101", "per_page", "less_than_equal"),
        ("is_verified=maybe", "is_verified", "bool_parsing"),
        ("is_active=2", "is_active", "bool_parsing"),
        ("role=root", "role", "enum"),
        ("sort=password_hash", "sort", "enum"),
        ("sort=-", "sort", "enum"),
    ];
    for (query, field, kind) in cases {
        let response = admin.get(&format!("/api/admin/users?{query}")).await;
        assert_validation(response, &["query", field], kind).await;
    }
});

admin_test!(one_user_by_id, |app| async move {
    let admin = Admin::initial(&app).await;
    let (user, tokens) = app.verified_user().await;
    let got = json_body(
        admin.get(&format!("/api/admin/users/{}", user_id(&tokens))).await,
        200,
    )
    .await;
    assert_eq!(
        (&got["email"], &got["role"]),
        (&json!(user.email), &json!("user"))
    );
    assert_detail(
        admin.get("/api/admin/users/987654321").await,
        404,
        "User not found",
    )
    .await;
    assert_validation(
        admin.get("/api/admin/users/abc").await,
        &["path", "id"],
        "int_parsing",
    )
    .await;
    assert_validation(
        admin.get("/api/admin/users/1.5").await,
        &["path", "id"],
        "int_parsing",
    )
    .await;
});
