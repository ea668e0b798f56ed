//! Creating users and changing their profiles, including under concurrency.
use crate::helpers::{Client, create, get, micros, new_user};
use astro_domain::reason::Reason;
use astro_proto::user::v1::Role;
use astro_proto::user::v1::{CreateUserRequest, UpdateProfileRequest};
use tonic::Code;

testkit::on_both_backends!(crate::helpers::run =>
    create_then_get,
    duplicates_are_already_exists,
    concurrent_duplicate_creates_yield_one_user,
    profile_updates_change_only_what_is_set,
    concurrent_profile_updates_both_survive,
);

async fn create_then_get(mut client: Client) {
    let created = create(
        &mut client,
        CreateUserRequest {
            email: " Alice@Example.COM ".into(),
            username: "Alice".into(),
            first_name: Some("Alice".into()),
            ..new_user("unused")
        },
    )
    .await;
    assert!(created.id > 0);
    assert_eq!(created.email, "alice@example.com");
    assert_eq!(created.username, "Alice", "case is kept");
    assert_eq!(created.first_name.as_deref(), Some("Alice"));
    assert_eq!(created.last_name, None);
    assert_eq!(created.role(), Role::User, "an unspecified role defaults to user");
    assert!(!created.is_verified);
    assert!(created.is_active);
    assert!(created.created_at.is_some() && created.created_at == created.updated_at);
    assert_eq!(created.last_login_at, None);

    let fetched = client.get_user(get(created.id)).await.unwrap().into_inner();
    assert_eq!(fetched, created);

    let missing = client.get_user(get(created.id + 1000)).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(Reason::of(&missing), Some(Reason::UserNotFound));
}

async fn duplicates_are_already_exists(mut client: Client) {
    create(&mut client, new_user("Bob")).await;
    let same_email = CreateUserRequest {
        username: "other".into(),
        ..new_user("bob")
    };
    let err = client.create_user(same_email).await.unwrap_err();
    assert_eq!(
        (err.code(), Reason::of(&err)),
        (Code::AlreadyExists, Some(Reason::EmailTaken))
    );

    let same_username = CreateUserRequest {
        email: "x@example.com".into(),
        ..new_user("BOB")
    };
    let err = client.create_user(same_username).await.unwrap_err();
    assert_eq!(
        (err.code(), Reason::of(&err)),
        (Code::AlreadyExists, Some(Reason::UsernameTaken))
    );

    let bad = CreateUserRequest {
        email: "not-an-email".into(),
        ..new_user("carol")
    };
    assert_eq!(
        client.create_user(bad).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let bad_role = CreateUserRequest {
        role: 42,
        ..new_user("carol")
    };
    assert_eq!(
        client.create_user(bad_role).await.unwrap_err().code(),
        Code::InvalidArgument
    );
}

async fn concurrent_duplicate_creates_yield_one_user(client: Client) {
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let mut client = client.clone();
            let request = CreateUserRequest {
                username: format!("racer{i}"),
                ..new_user("race")
            };
            tokio::spawn(async move { client.create_user(request).await })
        })
        .collect();
    let mut ok = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => assert_eq!(Reason::of(&status), Some(Reason::EmailTaken)),
        }
    }
    assert_eq!(ok, 1);
}

async fn profile_updates_change_only_what_is_set(mut client: Client) {
    let user = create(
        &mut client,
        CreateUserRequest {
            first_name: Some("Dan".into()),
            last_name: Some("Doe".into()),
            ..new_user("dan")
        },
    )
    .await;
    let update = |first: Option<&str>, last: Option<&str>, avatar: Option<&str>| UpdateProfileRequest {
        id: user.id,
        first_name: first.map(Into::into),
        last_name: last.map(Into::into),
        avatar_url: avatar.map(Into::into),
    };

    let changed = client
        .update_profile(update(Some("Daniel"), None, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.first_name.as_deref(), Some("Daniel"));
    assert_eq!(changed.last_name.as_deref(), Some("Doe"), "unset fields stay");
    assert!(micros(changed.updated_at) >= micros(user.updated_at));

    let changed = client
        .update_profile(update(None, Some(""), Some("https://cdn.example.com/a.png")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.first_name.as_deref(), Some("Daniel"));
    assert_eq!(changed.last_name, None, "an empty string clears");
    assert_eq!(
        changed.avatar_url.as_deref(),
        Some("https://cdn.example.com/a.png")
    );

    let bad = client
        .update_profile(update(None, None, Some("javascript:alert(1)")))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let long = "x".repeat(101);
    let bad = client
        .update_profile(update(Some(&long), None, None))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    let missing = UpdateProfileRequest {
        id: user.id + 1000,
        ..update(Some("x"), None, None)
    };
    assert_eq!(
        client.update_profile(missing).await.unwrap_err().code(),
        Code::NotFound
    );
}

async fn concurrent_profile_updates_both_survive(mut client: Client) {
    let user = create(&mut client, new_user("erin")).await;
    for round in 0..10 {
        let (mut a, mut b) = (client.clone(), client.clone());
        let first = UpdateProfileRequest {
            id: user.id,
            first_name: Some(format!("F{round}")),
            ..Default::default()
        };
        let last = UpdateProfileRequest {
            id: user.id,
            last_name: Some(format!("L{round}")),
            ..Default::default()
        };
        let (x, y) = tokio::join!(a.update_profile(first), b.update_profile(last));
        x.unwrap();
        y.unwrap();
        let now = client.get_user(get(user.id)).await.unwrap().into_inner();
        assert_eq!(now.first_name, Some(format!("F{round}")));
        assert_eq!(now.last_name, Some(format!("L{round}")));
    }
}
