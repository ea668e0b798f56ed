//! Rate limits per client IP: on every route per minute, and tighter on the credential routes
//! (each its own counter) and on forgot-password (also per target email).
use crate::checks::*;
use crate::edge_support::*;
use crate::helpers::*;
use serde_json::json;

const FORGOT: &str = "/api/auth/forgot-password";

both_backends!(
    credential_routes_allow_five_per_ip_each,
    env = [("LOGIN_RATE_LIMIT_PER_15MIN", "5")],
    |app| async move {
        assert_limited_after(5, || app.login("nobody@example.com", PASSWORD)).await;
        // Each route counts on its own: the exhausted login limit leaves the others alone.
        let register = || async { app.register(&TestUser::random()).await };
        assert_limited_after(5, register).await;
        let resend = json!({"email": "nobody@example.com"});
        assert_limited_after(5, || app.post_json("/api/auth/resend-verification", &resend)).await;
        assert_too_many(app.login("nobody@example.com", PASSWORD).await).await;
    }
);

both_backends!(
    forgot_password_allows_three_per_ip_per_hour,
    env = [("PASSWORD_RESET_RATE_LIMIT_PER_HOUR", "3")],
    |app| async move {
        let forgot = || async { app.forgot_password(&TestUser::random().email).await };
        assert_limited_after(3, forgot).await;
    }
);

both_backends!(
    forgot_password_allows_three_per_email_from_any_ips,
    env = [("PASSWORD_RESET_RATE_LIMIT_PER_HOUR", "3"), TRUSTED_LOCALHOST],
    |app| async move {
        let body = json!({"email": "victim@example.com"});
        for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            json_body(app.post_json_for(ip, FORGOT, &body).await, 200).await;
        }
        assert_too_many(app.post_json_for("10.0.0.4", FORGOT, &body).await).await;
        // The same case-folded address is the same target.
        let shouted = json!({"email": "VICTIM@example.com"});
        assert_too_many(app.post_json_for("10.0.0.5", FORGOT, &shouted).await).await;
        // The refused address may still ask for someone else.
        let other = json!({"email": "someone.else@example.com"});
        json_body(app.post_json_for("10.0.0.4", FORGOT, &other).await, 200).await;
    }
);

both_backends!(
    every_route_is_limited_per_minute_except_probes,
    env = [("RATE_LIMIT_PER_MINUTE", "3")],
    |app| async move {
        assert_limited_after(3, || app.get("/", None)).await;
        assert_too_many(app.get("/api/user/profile", None).await).await;
        for _ in 0..10 {
            let response = app.get("/health", None).await;
            assert!(response.headers().get("ratelimit-limit").is_none());
            json_body(response, 200).await;
        }
    }
);

both_backends!(
    forwarded_for_is_ignored_from_an_untrusted_peer,
    env = [("RATE_LIMIT_PER_MINUTE", "2")],
    |app| async move {
        assert_limited_after(2, || app.get_for("10.0.0.1", "/")).await;
        assert_too_many(app.get_for("10.0.0.2", "/").await).await;
        assert_too_many(app.get("/", None).await).await;
    }
);

/// Two clients behind the trusted proxy have a limit each.
async fn assert_forwarded_clients_count_apart(app: &TestApp) {
    assert_limited_after(2, || app.get_for("10.0.0.1", "/")).await;
    json_body(app.get_for("10.0.0.2", "/").await, 200).await;
    // A spoofed entry to the left of the proxy-appended client does not help.
    json_body(app.get_for("10.0.0.1, 10.0.0.3", "/").await, 200).await;
    assert_too_many(app.get_for("10.0.0.3, 10.0.0.1", "/").await).await;
}

both_backends!(
    forwarded_for_counts_from_a_trusted_proxy,
    env = [("RATE_LIMIT_PER_MINUTE", "2"), TRUSTED_LOCALHOST],
    |app| async move { assert_forwarded_clients_count_apart(&app).await }
);

both_backends!(
    forwarded_for_counts_from_a_trusted_network,
    env = [
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("TRUSTED_PROXIES", "192.0.2.1, 127.0.0.0/8")
    ],
    |app| async move { assert_forwarded_clients_count_apart(&app).await }
);
