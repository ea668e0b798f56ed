//! Credentials, account flags, the admin edit and deletion.
use crate::helpers::{Client, create, get, micros, new_user};
use astro_domain::reason::Reason;
use astro_proto::user::v1::Role;
use astro_proto::user::v1::{
    CountAdminsRequest, GetCredentialsByEmailRequest, SetPasswordHashRequest, UpdateUserRequest,
};
use tonic::Code;

testkit::on_both_backends!(crate::helpers::run => credentials_and_flags, admin_edit, delete_returns_the_user);

async fn credentials_and_flags(mut client: Client) {
    let user = create(&mut client, new_user("frank")).await;
    let by_email = GetCredentialsByEmailRequest {
        email: "  FRANK@example.com".into(),
    };
    let creds = client
        .get_credentials_by_email(by_email)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(creds.password_hash, "$argon2id$hash-of-frank");
    assert_eq!(creds.user.as_ref().map(|u| u.id), Some(user.id));

    let unknown = GetCredentialsByEmailRequest {
        email: "nobody@example.com".into(),
    };
    assert_eq!(
        client.get_credentials_by_email(unknown).await.unwrap_err().code(),
        Code::NotFound
    );

    let set = SetPasswordHashRequest {
        id: user.id,
        password_hash: "$argon2id$new".into(),
        expected_hash: None,
    };
    client.set_password_hash(set).await.unwrap();
    let creds = client.get_credentials(get(user.id)).await.unwrap().into_inner();
    assert_eq!(creds.password_hash, "$argon2id$new");
    // With an expected hash, a compare and swap: a stale expectation changes nothing.
    let swap = |expected: &str, new: &str| SetPasswordHashRequest {
        id: user.id,
        password_hash: new.into(),
        expected_hash: Some(expected.into()),
    };
    let stale = client
        .set_password_hash(swap("$2b$04$old", "$argon2id$rehash"))
        .await;
    assert_eq!(stale.unwrap_err().code(), Code::NotFound);
    client
        .set_password_hash(swap("$argon2id$new", "$argon2id$swapped"))
        .await
        .unwrap();
    let creds = client.get_credentials(get(user.id)).await.unwrap().into_inner();
    assert_eq!(creds.password_hash, "$argon2id$swapped");

    let verified = client.mark_verified(get(user.id)).await.unwrap().into_inner();
    assert!(verified.is_verified);
    let logged_in = client.record_login(get(user.id)).await.unwrap().into_inner();
    assert!(logged_in.last_login_at.is_some());
    assert!(micros(logged_in.updated_at) >= micros(verified.updated_at));

    for status in [
        client.mark_verified(get(-1)).await.unwrap_err(),
        client.record_login(get(-1)).await.unwrap_err(),
        client.get_credentials(get(-1)).await.unwrap_err(),
        client
            .set_password_hash(SetPasswordHashRequest {
                id: -1,
                password_hash: "h".into(),
                expected_hash: None,
            })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::NotFound);
    }
}

async fn admin_edit(mut client: Client) {
    let gina = create(&mut client, new_user("gina")).await;
    create(&mut client, new_user("hank")).await;
    let edit = |f: fn(&mut UpdateUserRequest)| {
        let mut request = UpdateUserRequest {
            id: gina.id,
            ..Default::default()
        };
        f(&mut request);
        request
    };

    let err = client
        .update_user(edit(|r| r.email = Some("HANK@example.com".into())))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), Reason::of(&err)),
        (Code::AlreadyExists, Some(Reason::EmailTaken))
    );
    let err = client
        .update_user(edit(|r| r.username = Some("Hank".into())))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), Reason::of(&err)),
        (Code::AlreadyExists, Some(Reason::UsernameTaken))
    );
    let err = client.update_user(edit(|r| r.role = Some(42))).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let edited = client
        .update_user(edit(|r| {
            r.email = Some(" Gina.New@Example.com ".into());
            r.username = Some("GinaNew".into());
            r.role = Some(Role::Admin as i32);
            r.is_verified = Some(true);
            r.is_active = Some(false);
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edited.email, "gina.new@example.com");
    assert_eq!(edited.username, "GinaNew");
    assert_eq!(edited.role(), Role::Admin);
    assert!(edited.is_verified && !edited.is_active);
    assert_eq!(edited.first_name, gina.first_name);

    let admins = client
        .count_admins(CountAdminsRequest {})
        .await
        .unwrap()
        .into_inner()
        .admins;
    assert_eq!(admins, 1);
    // Re-saving one's own username in another case is not a clash with oneself.
    client
        .update_user(edit(|r| r.username = Some("ginanew".into())))
        .await
        .unwrap();
    let missing = UpdateUserRequest {
        id: -5,
        is_active: Some(true),
        ..Default::default()
    };
    assert_eq!(
        client.update_user(missing).await.unwrap_err().code(),
        Code::NotFound
    );
}

async fn delete_returns_the_user(mut client: Client) {
    let user = create(&mut client, new_user("ivan")).await;
    let deleted = client.delete_user(get(user.id)).await.unwrap().into_inner();
    assert_eq!(deleted.user, Some(user.clone()));
    assert_eq!(
        client.get_user(get(user.id)).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        client.delete_user(get(user.id)).await.unwrap_err().code(),
        Code::NotFound
    );
    // The email and username are free again.
    create(&mut client, new_user("ivan")).await;
}
