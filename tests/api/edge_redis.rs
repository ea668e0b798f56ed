//! Revocations and rate limits in Redis: shared by every gateway replica, failing closed (503)
//! while Redis is down, and working again once it is back, without a restart.
use crate::checks::*;
use crate::edge_support::*;
use crate::helpers::*;
use crate::jwt;
use crate::redis_support::*;
use reqwest::Response;
use serde_json::json;
use std::time::{Duration, Instant};

const UNAVAILABLE: &str = "Service temporarily unavailable";
/// How long the contract's "within a few seconds" may take here.
const PROMPTLY: Duration = Duration::from_secs(5);

redis_backends!(logout_revokes_through_redis, |app| async move {
    let (_, tokens) = app.verified_user().await;
    json_body(app.logout(Some(&tokens.access)).await, 200).await;
    assert_detail(app.profile(&tokens.access).await, 401, INVALIDATED).await;
    let (mut redis, prefix) = app_redis(&app).await;
    let jti = jwt::claims(&tokens.access)["jti"].as_str().unwrap().to_owned();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}revoked:jti:{jti}"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        (1..=900).contains(&ttl),
        "the revoked jti lives as long as the token: {ttl}"
    );
});

redis_backends!(
    limits_hold_across_gateways,
    env = [("LOGIN_RATE_LIMIT_PER_15MIN", "5")],
    |app| async move {
        let other = SecondGateway::start(&app).await;
        let body = json!({"email": "nobody@example.com", "password": PASSWORD});
        let via_other = || app.client.post(other.url("/api/auth/login")).json(&body).send();
        for remaining in [4, 3, 2] {
            let response = app.login("nobody@example.com", PASSWORD).await;
            assert_eq!(quota(&response).remaining, remaining);
        }
        for remaining in [1, 0] {
            let response = via_other().await.unwrap();
            assert_eq!(quota(&response).remaining, remaining);
        }
        assert_too_many(app.login("nobody@example.com", PASSWORD).await).await;
        assert_too_many(via_other().await.unwrap()).await;
    }
);

redis_backends!(logout_on_one_gateway_revokes_on_the_other, |app| async move {
    let other = SecondGateway::start(&app).await;
    let (user, tokens) = app.verified_user().await;
    let profile = || {
        let request = app.client.get(other.url("/api/user/profile"));
        request.bearer_auth(&tokens.access).send()
    };
    assert_user(&json_body(profile().await.unwrap(), 200).await, &user);
    json_body(app.logout(Some(&tokens.access)).await, 200).await;
    assert_detail(profile().await.unwrap(), 401, INVALIDATED).await;
});

redis_backends!(
    ending_a_session_on_one_gateway_revokes_it_on_the_other,
    |app| async move {
        let other = SecondGateway::start(&app).await;
        let (user, phone) = app.verified_user().await;
        let desktop = app.login_ok(&user).await;
        let profile = |token: String| {
            app.client
                .get(other.url("/api/user/profile"))
                .bearer_auth(token)
                .send()
        };
        json_body(profile(phone.access.clone()).await.unwrap(), 200).await;
        let sid = jwt::claims(&phone.access)["sid"].as_str().unwrap().to_owned();
        let response = app.end_session(&desktop.access, &sid).await;
        assert_message(response, "Session revoked").await;
        assert_detail(profile(phone.access).await.unwrap(), 401, INVALIDATED).await;
        json_body(profile(desktop.access).await.unwrap(), 200).await;
    }
);

/// GET `path` with `token`, answered within [`PROMPTLY`] or failing the test.
async fn get_promptly(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path)).timeout(PROMPTLY);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {path} had no answer within {PROMPTLY:?}: {err}"))
}

/// Polls GET `path` until it answers `status`, for at most ten seconds.
async fn wait_for_status(app: &TestApp, path: &str, token: Option<&str>, status: u16) -> Response {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = get_promptly(app, path, token).await;
        if response.status() == status || Instant::now() > deadline {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Kills Redis under a logged-in client, then brings it back on the same port.
async fn assert_outage_is_503_then_recovers(backend: Backend) {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let url = redis.url();
    let Some(app) = TestApp::spawn(backend, &[("REDIS_URL", &url)]).await else {
        return;
    };
    let (user, tokens) = app.verified_user().await;
    let token = Some(tokens.access.as_str());
    json_body(get_promptly(&app, "/api/user/profile", token).await, 200).await;

    redis.stop();
    let response = get_promptly(&app, "/api/user/profile", token).await;
    assert_detail(response, 503, UNAVAILABLE).await;
    let ready = json_body(get_promptly(&app, "/ready", None).await, 503).await;
    assert_eq!(ready["checks"]["store"], "unavailable", "{ready}");

    redis.restart().await.expect("restarting redis-server");
    let response = wait_for_status(&app, "/api/user/profile", token, 200).await;
    assert_user(&json_body(response, 200).await, &user);
    json_body(wait_for_status(&app, "/ready", None, 200).await, 200).await;
}

testkit::per_backend!(redis_outage_is_503_then_recovers, |backend| {
    assert_outage_is_503_then_recovers(backend).await;
});
