//! Failed logins per account: many addresses guessing one password get 429 after
//! `LOGIN_FAILURES_PER_ACCOUNT_15MIN` failures, but the owner's known address is never locked out.
use crate::checks::*;
use crate::edge_support::*;
use crate::helpers::*;
use crate::redis_support::redis_backends;

/// Three failures lock the account for new addresses, not for the one it logged in from.
pub async fn assert_owner_not_locked_out(app: &TestApp) {
    let user = TestUser::random();
    json_body(app.register(&user).await, 200).await;
    let home = "10.1.0.1";
    json_body(app.login_for(home, &user.email, &user.password).await, 200).await;
    for ip in ["10.2.0.1", "10.2.0.2", "10.2.0.3"] {
        let response = app.login_for(ip, &user.email, OTHER_PASSWORD).await;
        assert_detail(response, 401, "Incorrect email or password").await;
    }
    let quota = assert_too_many(app.login_for("10.2.0.4", &user.email, &user.password).await).await;
    assert_eq!(quota.limit, 3);
    let shouted = user.email.to_uppercase();
    assert_too_many(app.login_for("10.2.0.5", &shouted, &user.password).await).await;
    json_body(app.login_for(home, &user.email, &user.password).await, 200).await;
    // Other accounts are not affected.
    let (other, _) = app.unverified_user().await;
    json_body(
        app.login_for("10.2.0.4", &other.email, &other.password).await,
        200,
    )
    .await;
}

both_backends!(
    failed_logins_lock_an_account_but_not_its_owner,
    env = [("LOGIN_FAILURES_PER_ACCOUNT_15MIN", "3"), TRUSTED_LOCALHOST],
    |app| async move { assert_owner_not_locked_out(&app).await }
);

redis_backends!(
    failed_logins_lock_an_account_but_not_its_owner_in_redis,
    env = [("LOGIN_FAILURES_PER_ACCOUNT_15MIN", "3"), TRUSTED_LOCALHOST],
    |app| async move { assert_owner_not_locked_out(&app).await }
);
