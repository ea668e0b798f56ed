//! A service that fails mid-call (killed, crashing, reset by a proxy) is a dependency failure:
//! 503 with the contract's body, never 500, for the gateway's own calls and for calls one
//! service makes to another; counted by service in the metrics; and over once it is back.
use crate::broken_service::{Breakage, BrokenService};
use crate::checks::{assert_detail, json_body, text_body};
use crate::helpers::*;
use astro_auth::Service;
use astro_platform::grpc::Peer;

const UNAVAILABLE: &str = "Service temporarily unavailable";

both_backends!(a_user_service_breaking_calls_is_503_never_500, |app| async move {
    let mut app = app;
    let (user, tokens) = app.verified_user().await;
    let stack = app.stack_mut();
    stack.stop_service(Service::User).await.expect("stopping user");
    let (plane, settings) = (stack.plane().clone(), stack.settings().clone());

    for breakage in [Breakage::DropConnection, Breakage::ResetStream] {
        let broken = BrokenService::start(&plane, Peer::User, &settings, breakage).await;
        // gateway → user
        let response = app.profile(&tokens.access).await;
        assert_detail(response, 503, UNAVAILABLE).await;
        // gateway → auth → user
        let response = app.login(&user.email, &user.password).await;
        assert_detail(response, 503, UNAVAILABLE).await;
        broken.stop().await;
    }

    let metrics = text_body(app.get("/metrics", None).await, 200).await;
    assert!(
        metrics.contains(r#"dependency_failures_total{dependency="user"}"#),
        "{metrics}"
    );

    // Back without restarting anything else.
    let stack = app.stack_mut();
    stack
        .restart_service(Service::User)
        .await
        .expect("restarting user");
    json_body(app.profile(&tokens.access).await, 200).await;
    app.login_ok(&user).await;
});
