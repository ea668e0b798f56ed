//! `CreateFirstAdmin`: a verified admin only while none exists, decided atomically, so auth
//! replicas bootstrapping `INITIAL_ADMIN_*` at the same moment create exactly one admin.
use crate::helpers::{Client, create, get, new_user};
use astro_domain::reason::Reason;
use astro_proto::user::v1::Role;
use astro_proto::user::v1::{CountAdminsRequest, CreateFirstAdminRequest, CreateUserRequest};
use tonic::Code;

testkit::on_both_backends!(crate::helpers::run =>
    only_while_no_admin_exists,
    racing_replicas_create_exactly_one,
);

fn first_admin(name: &str) -> CreateFirstAdminRequest {
    let user = new_user(name);
    CreateFirstAdminRequest {
        email: user.email,
        username: user.username,
        password_hash: user.password_hash,
    }
}

async fn admins(client: &mut Client) -> u64 {
    client
        .count_admins(CountAdminsRequest {})
        .await
        .unwrap()
        .into_inner()
        .admins
}

async fn only_while_no_admin_exists(mut client: Client) {
    // A plain user holding the address or the username is a clash, not an admin.
    create(&mut client, new_user("taken")).await;
    let same_email = CreateFirstAdminRequest {
        username: "someone".into(),
        ..first_admin("taken")
    };
    let same_username = CreateFirstAdminRequest {
        email: "someone@example.com".into(),
        ..first_admin("taken")
    };
    for (request, reason) in [
        (same_email, Reason::EmailTaken),
        (same_username, Reason::UsernameTaken),
    ] {
        let err = client.create_first_admin(request).await.unwrap_err();
        assert_eq!(
            (err.code(), Reason::of(&err)),
            (Code::AlreadyExists, Some(reason))
        );
    }

    let created = client
        .create_first_admin(first_admin("root"))
        .await
        .unwrap()
        .into_inner()
        .created
        .expect("no admin yet: created");
    assert_eq!(
        (created.role(), created.is_verified, created.is_active),
        (Role::Admin, true, true)
    );
    // Any admin, even one created otherwise, makes it a no-op.
    for name in ["root", "other"] {
        let again = client.create_first_admin(first_admin(name)).await.unwrap();
        assert_eq!(again.into_inner().created, None, "{name}");
    }
    client.delete_user(get(created.id)).await.unwrap();
    let promoted = CreateUserRequest {
        role: Role::Admin as i32,
        ..new_user("promoted")
    };
    create(&mut client, promoted).await;
    let again = client.create_first_admin(first_admin("late")).await.unwrap();
    assert_eq!(again.into_inner().created, None);
    assert_eq!(admins(&mut client).await, 1);
}

/// Several replicas with different addresses (a rolling update changing the settings) race;
/// round after round, exactly one wins.
async fn racing_replicas_create_exactly_one(mut client: Client) {
    const REPLICAS: usize = 8;
    for round in 0..5 {
        let mut racers = tokio::task::JoinSet::new();
        for replica in 0..REPLICAS {
            let mut client = client.clone();
            racers.spawn(async move {
                let request = first_admin(&format!("admin{round}x{replica}"));
                client
                    .create_first_admin(request)
                    .await
                    .map(|r| r.into_inner().created)
            });
        }
        let outcomes = racers.join_all().await;
        let created: Vec<_> = outcomes
            .iter()
            .map(|o| o.as_ref().expect("no racer fails"))
            .filter_map(Option::as_ref)
            .collect();
        assert_eq!(created.len(), 1, "round {round}: {outcomes:?}");
        assert_eq!(admins(&mut client).await, 1, "round {round}");
        // Back to no admin for the next round.
        client.delete_user(get(created[0].id)).await.unwrap();
    }
}
