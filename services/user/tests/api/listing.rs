//! The admin listing and the stats.
use crate::helpers::{Client, create, new_user};
use astro_proto::user::v1::Role;
use astro_proto::user::v1::{
    CreateUserRequest, GetStatsRequest, ListUsersRequest, ListUsersResponse, Stats, UpdateUserRequest,
};
use tonic::Code;

testkit::on_both_backends!(crate::helpers::run =>
    search_matches_wildcards_literally,
    sort_and_pagination,
    filters_and_totals,
    stats_count_everything,
);

async fn list(client: &mut Client, request: ListUsersRequest) -> ListUsersResponse {
    client.list_users(request).await.expect("list users").into_inner()
}

fn usernames(response: &ListUsersResponse) -> Vec<&str> {
    response.users.iter().map(|u| u.username.as_str()).collect()
}

fn search(term: &str) -> ListUsersRequest {
    ListUsersRequest {
        search: Some(term.into()),
        sort: "username".into(),
        ..Default::default()
    }
}

async fn search_matches_wildcards_literally(mut client: Client) {
    create(
        &mut client,
        CreateUserRequest {
            first_name: Some("100%_off".into()),
            ..new_user("literal")
        },
    )
    .await;
    create(
        &mut client,
        CreateUserRequest {
            first_name: Some("1000xoff".into()),
            ..new_user("wild")
        },
    )
    .await;
    create(
        &mut client,
        CreateUserRequest {
            last_name: Some(r"back\slash".into()),
            ..new_user("slash")
        },
    )
    .await;
    create(&mut client, new_user("under_score")).await;
    create(&mut client, new_user("underxscore")).await;

    let found = list(&mut client, search("0%_o")).await;
    assert_eq!((usernames(&found), found.total), (vec!["literal"], 1));
    let found = list(&mut client, search("%")).await;
    assert_eq!(usernames(&found), ["literal"]);
    let found = list(&mut client, search("r_s")).await;
    assert_eq!(usernames(&found), ["under_score"]);
    let found = list(&mut client, search(r"k\s")).await;
    assert_eq!(usernames(&found), ["slash"]);
    // Case-insensitive over email, username and names.
    let found = list(&mut client, search("UNDER")).await;
    assert_eq!(
        (usernames(&found), found.total),
        (vec!["under_score", "underxscore"], 2)
    );
    let found = list(&mut client, search("WILD@EXAMPLE")).await;
    assert_eq!(usernames(&found), ["wild"]);
    let found = list(&mut client, search("1000X")).await;
    assert_eq!(usernames(&found), ["wild"]);
}

async fn sort_and_pagination(mut client: Client) {
    // Created in this order; usernames sort differently, and case must not matter.
    for name in ["delta", "Alpha", "echo", "charlie", "Bravo"] {
        create(&mut client, new_user(name)).await;
    }
    let page = |number, sort: &str| ListUsersRequest {
        page: number,
        per_page: 2,
        sort: sort.into(),
        ..Default::default()
    };

    let mut seen = Vec::new();
    for number in 1..=3 {
        let response = list(&mut client, page(number, "")).await;
        assert_eq!(response.total, 5);
        seen.extend(response.users.into_iter().map(|u| u.username));
    }
    assert_eq!(
        seen,
        ["delta", "Alpha", "echo", "charlie", "Bravo"],
        "default: created_at, then id"
    );
    assert!(list(&mut client, page(4, "")).await.users.is_empty());

    let first = list(&mut client, page(1, "username")).await;
    assert_eq!(usernames(&first), ["Alpha", "Bravo"]);
    let first = list(&mut client, page(1, "-username")).await;
    assert_eq!(usernames(&first), ["echo", "delta"]);
    let last = list(&mut client, page(3, "email")).await;
    assert_eq!(usernames(&last), ["echo"]);
    let newest = list(&mut client, page(1, "-created_at")).await;
    assert_eq!(usernames(&newest), ["Bravo", "charlie"]);

    for bad in ["password_hash", "-", "created_at; DROP TABLE users", "id"] {
        let err = client.list_users(page(1, bad)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "sort {bad:?}");
    }
    let too_big = ListUsersRequest {
        per_page: 101,
        ..Default::default()
    };
    assert_eq!(
        client.list_users(too_big).await.unwrap_err().code(),
        Code::InvalidArgument
    );
}

async fn filters_and_totals(mut client: Client) {
    for i in 0..6 {
        let user = create(&mut client, new_user(&format!("user{i}"))).await;
        let edit = UpdateUserRequest {
            id: user.id,
            role: (i == 0).then_some(Role::Admin as i32),
            is_verified: Some(i % 2 == 0),
            is_active: Some(i != 5),
            ..Default::default()
        };
        client.update_user(edit).await.unwrap();
    }
    let filter = |role: Option<Role>, verified, active| ListUsersRequest {
        per_page: 1,
        role: role.map(|r| r as i32),
        is_verified: verified,
        is_active: active,
        ..Default::default()
    };
    assert_eq!(list(&mut client, filter(None, None, None)).await.total, 6);
    assert_eq!(
        list(&mut client, filter(Some(Role::Admin), None, None))
            .await
            .total,
        1
    );
    assert_eq!(
        list(&mut client, filter(Some(Role::User), Some(true), None))
            .await
            .total,
        2
    );
    assert_eq!(
        list(&mut client, filter(None, Some(false), Some(true)))
            .await
            .total,
        2
    );
    assert_eq!(list(&mut client, filter(None, None, Some(false))).await.total, 1);
    let page = list(&mut client, filter(None, Some(true), None)).await;
    assert_eq!((page.users.len(), page.total), (1, 3), "the total ignores paging");
}

async fn stats_count_everything(mut client: Client) {
    let empty = client.get_stats(GetStatsRequest {}).await.unwrap().into_inner();
    assert_eq!(empty, Stats::default());
    for i in 0..4 {
        let user = create(
            &mut client,
            CreateUserRequest {
                is_verified: i < 3,
                ..new_user(&format!("stat{i}"))
            },
        )
        .await;
        if i == 0 {
            let edit = UpdateUserRequest {
                id: user.id,
                role: Some(Role::Admin as i32),
                is_active: Some(false),
                ..Default::default()
            };
            client.update_user(edit).await.unwrap();
        }
    }
    let stats = client.get_stats(GetStatsRequest {}).await.unwrap().into_inner();
    assert_eq!(
        stats,
        Stats {
            total_users: 4,
            verified_users: 3,
            unverified_users: 1,
            admin_users: 1,
            recent_registrations: 4,
            active_users: 3,
            disabled_users: 1,
        }
    );
}
