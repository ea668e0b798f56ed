//! The client crate (`clients/rust`) and its example service (`examples/consumer`) against a
//! running stack: the stack signs with EdDSA and serves the consumer API on
//! `INTERNAL_GRPC_ADDR` with mutual TLS; the example, certified as `billing`, answers a request
//! authenticated by a real login's token, checked locally against the JWKS, and with
//! `ValidateToken` when revocation must be exact.
use crate::checks::*;
use crate::consumer_api::ConsumerApiCerts;
use crate::helpers::*;
use crate::jwks_support::{DATA_KEY, EDDSA, REFRESH_EACH_SECOND};
use astro_auth_client::{AstroAuth, Certificates, JwksVerifier, ServiceAddr};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_service_accepts_our_tokens_locally_or_exactly() {
    let certs = ConsumerApiCerts::new();
    let mut env = vec![EDDSA, DATA_KEY, REFRESH_EACH_SECOND];
    env.extend(certs.settings());
    let app = TestApp::spawn(Backend::Sqlite, &env)
        .await
        .expect("SQLite always runs");
    let internal = ServiceAddr {
        url: format!(
            "https://{}",
            app.stack().internal_api_addr().expect("the consumer API")
        ),
        server_name: "astro-auth".into(),
    };
    let certificates = Certificates::from_dir(certs.dir.path(), "billing").expect("billing's certificate");
    let client = AstroAuth::connect_lazy(&internal, &internal, &certificates).expect("a client");
    let verifier = Arc::new(JwksVerifier::new(
        &app.url("/.well-known/jwks.json"),
        "astro-auth",
        "astro-auth",
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let billing = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, example_consumer::router(client, verifier)).await });

    let (user, tokens) = app.verified_user().await;
    let me = |path: &'static str, token: Option<String>| {
        let request = app.client.get(format!("{billing}{path}"));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.expect("the example answers") }
    };
    let local = json_body(me("/me", Some(tokens.access.clone())).await, 200).await;
    assert_eq!(
        (&local["email"], &local["checked"]),
        (&user.email.clone().into(), &"local".into())
    );
    let exact = json_body(me("/me/exact", Some(tokens.access.clone())).await, 200).await;
    assert_eq!(exact["checked"], "remote");

    // No token, a garbage one, an HS256 forgery with the stack's HMAC secret: refused.
    let forged = crate::jwt::sign(&crate::jwt::claims(&tokens.access), JWT_SECRET);
    for token in [None, Some("garbage".to_owned()), Some(forged)] {
        let refused = me("/me", token).await;
        assert_eq!(refused.status(), 401);
        assert!(refused.headers().contains_key("www-authenticate"));
    }
    // Logged out: local checks cannot know (until the token expires); exact ones refuse.
    json_body(app.logout(Some(&tokens.access)).await, 200).await;
    json_body(me("/me", Some(tokens.access.clone())).await, 200).await;
    assert_eq!(me("/me/exact", Some(tokens.access.clone())).await.status(), 401);
}
