//! The HTTP edge: CORS for listed origins only, the body limit, and the security headers on
//! every response.
use crate::checks::*;
use crate::helpers::*;
use crate::redis_support::SecondGateway;
use reqwest::{Method, Response};
use serde_json::json;
use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

const APP_ORIGIN: &str = "http://app.test";

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header"))
}

/// A CORS preflight for POST /api/auth/login from `origin`.
async fn preflight(app: &TestApp, origin: &str) -> Response {
    let request = app.client.request(Method::OPTIONS, app.url("/api/auth/login"));
    let request = request
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, authorization");
    request.send().await.expect("sending the preflight")
}

/// Listed origins get their own origin back with credentials; others get no CORS headers.
async fn assert_cors_for(app: &TestApp, allowed: &[&str]) {
    for origin in allowed {
        let response = preflight(app, origin).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "access-control-allow-origin"), Some(*origin));
        assert_eq!(
            header(&response, "access-control-allow-credentials"),
            Some("true")
        );
        let methods = header(&response, "access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains("POST"), "allowed methods: {methods}");
        let request = app.client.get(app.url("/health")).header("origin", *origin);
        let simple = request.send().await.unwrap();
        assert_eq!(header(&simple, "access-control-allow-origin"), Some(*origin));
    }
    for origin in ["http://evil.test", "http://app.test.evil.test", "null"] {
        let response = preflight(app, origin).await;
        let request = app.client.get(app.url("/health")).header("origin", origin);
        let simple = request.send().await.unwrap();
        for response in [&response, &simple] {
            for name in ["access-control-allow-origin", "access-control-allow-credentials"] {
                assert_eq!(header(response, name), None, "{name} for {origin}");
            }
        }
    }
}

both_backends!(
    cors_allows_only_listed_origins,
    env = [("CORS_ORIGINS", r#"["http://app.test"]"#)],
    |app| async move { assert_cors_for(&app, &[APP_ORIGIN]).await }
);

both_backends!(
    cors_origins_may_be_comma_separated,
    env = [("CORS_ORIGINS", "http://app.test, http://admin.app.test/")],
    |app| async move { assert_cors_for(&app, &[APP_ORIGIN, "http://admin.app.test"]).await }
);

both_backends!(no_cors_origins_means_no_cross_origin_access, |app| async move {
    assert_cors_for(&app, &[]).await;
});

both_backends!(json_body_over_one_mib_is_413, |app| async move {
    let padding = "x".repeat(1024 * 1024);
    let body = json!({"email": "a@example.com", "password": padding}).to_string();
    for path in ["/api/auth/login", "/api/auth/register"] {
        let request = app.post(path).header("content-type", "application/json");
        let response = request.body(body.clone()).send().await.unwrap();
        let body = json_body(response, 413).await;
        assert!(body["detail"].is_string(), "{body}");
    }
});

/// `nosniff`, no referrer, no framing and a CSP on `response`.
fn assert_security_headers(response: &Response) {
    let what = format!("{} from {}", response.status(), response.url().path());
    assert_eq!(
        header(response, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(response, "x-frame-options"), Some("DENY"), "{what}");
    assert!(header(response, "referrer-policy").is_some(), "{what}");
    let csp = header(response, "content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp:?}");
}

both_backends!(security_headers_are_on_every_response, |app| async move {
    let (user, _) = app.verified_user().await;
    let login = app.login(&user.email, &user.password).await;
    assert_security_headers(&login);
    assert_eq!(header(&login, "cache-control"), Some("no-store"));
    let tokens = Tokens::from_body(&json_body(login, 200).await);
    let refresh = app.refresh(&tokens.refresh).await;
    assert_security_headers(&refresh);
    assert_eq!(header(&refresh, "cache-control"), Some("no-store"));
    for response in [
        app.get("/", None).await,
        app.get("/health", None).await,
        app.get("/no/such/page", None).await,
        app.profile("not-a-token").await,
        app.profile(&tokens.access).await,
        app.login(&user.email, OTHER_PASSWORD).await,
        app.post_json("/api/auth/login", &json!({})).await,
        preflight(&app, APP_ORIGIN).await,
    ] {
        assert_security_headers(&response);
    }
});

both_backends!(docs_are_served_under_the_csp, |app| async move {
    for path in ["/docs", "/docs/", "/redoc", "/openapi.json"] {
        let response = app.get(path, None).await;
        assert_security_headers(&response);
        text_body(response, 200).await;
    }
});

/// Sends `partial` to `addr` and waits (up to five seconds) for the server to close the
/// connection; returns how long that took.
fn closed_after(addr: SocketAddr, partial: &[u8]) -> Duration {
    let mut stream = TcpStream::connect(addr).expect("connecting");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(partial).expect("writing");
    let started = Instant::now();
    match stream.read_to_end(&mut Vec::new()) {
        Ok(_) => {}
        Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
        Err(err) => panic!("the connection was still open after 5 s: {err}"),
    }
    started.elapsed()
}

both_backends!(slow_request_heads_are_cut_off, |app| async move {
    let timeout = Duration::from_millis(300);
    let gateway = SecondGateway::start_with(&app, |g| g.with_header_read_timeout(timeout)).await;
    json_body(app.client.get(gateway.url("/health")).send().await.unwrap(), 200).await;
    let addr = gateway.addr();
    let waited = tokio::task::spawn_blocking(move || closed_after(addr, b"GET /health HT"))
        .await
        .unwrap();
    assert!(
        waited >= timeout / 2,
        "closed after {waited:?}, before the timeout"
    );
    eprintln!("a partial request line was cut off after {waited:?}");
});
