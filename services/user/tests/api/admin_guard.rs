//! The last active, verified admin is never demoted, disabled, unverified or deleted, checked
//! in the same statement as the write, so concurrent changes cannot leave zero admins.
use crate::helpers::{Client, create, get, new_user};
use astro_domain::reason::Reason;
use astro_proto::user::v1::Role;
use astro_proto::user::v1::{CreateUserRequest, ListUsersRequest, UpdateUserRequest};
use tonic::Code;

testkit::on_both_backends!(crate::helpers::run => the_last_admin_stays, concurrent_demotions_leave_an_admin);

fn admin(name: &str) -> CreateUserRequest {
    CreateUserRequest {
        role: Role::Admin as i32,
        is_verified: true,
        ..new_user(name)
    }
}

fn edit(id: i64, f: impl FnOnce(&mut UpdateUserRequest)) -> UpdateUserRequest {
    let mut request = UpdateUserRequest {
        id,
        ..Default::default()
    };
    f(&mut request);
    request
}

async fn working_admins(client: &mut Client) -> u64 {
    let request = ListUsersRequest {
        role: Some(Role::Admin as i32),
        is_active: Some(true),
        is_verified: Some(true),
        ..Default::default()
    };
    client.list_users(request).await.unwrap().into_inner().total
}

async fn the_last_admin_stays(mut client: Client) {
    let only = create(&mut client, admin("root")).await;
    let refusals = [
        edit(only.id, |r| r.role = Some(Role::User as i32)),
        edit(only.id, |r| r.is_active = Some(false)),
        edit(only.id, |r| r.is_verified = Some(false)),
    ];
    for request in refusals {
        let err = client.update_user(request).await.unwrap_err();
        assert_eq!(
            (err.code(), Reason::of(&err)),
            (Code::FailedPrecondition, Some(Reason::LastAdmin))
        );
    }
    let err = client.admin_delete_user(get(only.id)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        client.admin_delete_user(get(-1)).await.unwrap_err().code(),
        Code::NotFound
    );
    // Changes that keep them an admin, and changes to others, go through.
    client
        .update_user(edit(only.id, |r| r.first_name = Some("Root".into())))
        .await
        .unwrap();
    let plain = create(&mut client, new_user("plain")).await;
    client
        .update_user(edit(plain.id, |r| r.is_active = Some(false)))
        .await
        .unwrap();
    client.admin_delete_user(get(plain.id)).await.unwrap();
    // With a second admin, the first may go.
    create(&mut client, admin("second")).await;
    client
        .update_user(edit(only.id, |r| r.role = Some(Role::User as i32)))
        .await
        .unwrap();
    assert_eq!(working_admins(&mut client).await, 1);
}

async fn concurrent_demotions_leave_an_admin(mut client: Client) {
    let mut survivor: Option<i64> = None;
    for round in 0..8 {
        let a = create(&mut client, admin(&format!("alpha{round}"))).await;
        let b = create(&mut client, admin(&format!("bravo{round}"))).await;
        // Only the new pair are admins now, so their race decides whether any admin remains.
        if let Some(id) = survivor {
            client
                .update_user(edit(id, |r| r.role = Some(Role::User as i32)))
                .await
                .unwrap();
        }
        let (mut c1, mut c2) = (client.clone(), client.clone());
        // Alternate the kinds of removal, so the writes race in different ways.
        let outcomes = if round % 2 == 0 {
            let (x, y) = tokio::join!(
                c1.update_user(edit(a.id, |r| r.role = Some(Role::User as i32))),
                c2.update_user(edit(b.id, |r| r.is_active = Some(false))),
            );
            [x.map(drop), y.map(drop)]
        } else {
            let (x, y) = tokio::join!(c1.admin_delete_user(get(a.id)), c2.admin_delete_user(get(b.id)));
            [x.map(drop), y.map(drop)]
        };
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "round {round}: exactly one removal may win: {outcomes:?}");
        let refused = outcomes.iter().find_map(|o| o.as_ref().err()).unwrap();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(working_admins(&mut client).await, 1, "round {round}");
        survivor = Some(if outcomes[0].is_ok() { b.id } else { a.id });
    }
}
