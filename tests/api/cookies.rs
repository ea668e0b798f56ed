//! Browser mode: tokens in `HttpOnly` cookies (asked for with `X-Token-Transport: cookie`),
//! writes proven with the double-submit CSRF token, `Authorization` always winning.
use crate::checks::*;
use crate::helpers::*;
use reqwest::{RequestBuilder, Response};
use serde_json::json;
use std::collections::BTreeMap;

/// The cookies a response sets, by name: (value, attributes as sent).
fn set_cookies(response: &Response) -> BTreeMap<String, (String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .map(|line| {
            let (pair, attributes) = line.split_once(';').unwrap_or((&line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), (value.to_owned(), attributes.trim().to_owned()))
        })
        .collect()
}

/// A browser's jar after a cookie-mode answer: the Cookie header and the CSRF token.
struct Jar {
    cookie: String,
    csrf: String,
}

impl Jar {
    /// The jar after `response` set the development (`COOKIE_SECURE=false`) cookies.
    fn from(response: &Response) -> Jar {
        let cookies = set_cookies(response);
        let value = |name: &str| cookies[name].0.clone();
        let csrf = value("astro_csrf");
        Jar {
            cookie: format!(
                "astro_at={}; astro_csrf={csrf}; astro_rt={}",
                value("astro_at"),
                value("astro_rt")
            ),
            csrf,
        }
    }

    /// `request` as the browser sends it: with the cookies, and the CSRF header when `proof`.
    fn send(&self, request: RequestBuilder, proof: bool) -> RequestBuilder {
        let request = request.header("cookie", &self.cookie);
        if proof {
            request.header("x-csrf-token", &self.csrf)
        } else {
            request
        }
    }
}

async fn cookie_login(app: &TestApp, user: &TestUser) -> Response {
    app.post("/api/auth/login")
        .header("x-token-transport", "cookie")
        .json(&user.credentials())
        .send()
        .await
        .unwrap()
}

both_backends!(
    a_cookie_login_sets_three_cookies_and_no_token_in_the_body,
    |app| async move {
        let (user, _) = app.verified_user().await;
        let response = cookie_login(&app, &user).await;
        let cookies = set_cookies(&response);
        assert_eq!(
            cookies["astro_at"].1,
            "Path=/; HttpOnly; SameSite=Lax; Max-Age=900"
        );
        assert_eq!(
            cookies["astro_rt"].1,
            "Path=/api/auth; HttpOnly; SameSite=Strict; Max-Age=604800"
        );
        assert_eq!(cookies["astro_csrf"].1, "Path=/; SameSite=Lax");
        assert!(cookies["astro_csrf"].0.len() >= 32);
        let jar = Jar::from(&response);
        let body = json_body(response, 200).await;
        assert_eq!(body, json!({"token_type": "cookie", "expires_in": 900}));
        // The access cookie authenticates reads, without CSRF proof.
        let profile = jar
            .send(app.client.get(app.url("/api/user/profile")), false)
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(profile, 200).await["email"], json!(user.email));
    }
);

both_backends!(
    secure_cookies_take_host_and_secure_prefixes,
    env = [("COOKIE_SECURE", "true")],
    |app| async move {
        let (user, _) = app.verified_user().await;
        let response = cookie_login(&app, &user).await;
        let cookies = set_cookies(&response);
        assert_eq!(
            cookies["__Host-astro_at"].1,
            "Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=900"
        );
        assert_eq!(
            cookies["__Secure-astro_rt"].1,
            "Path=/api/auth; HttpOnly; Secure; SameSite=Strict; Max-Age=604800"
        );
        assert_eq!(cookies["__Host-astro_csrf"].1, "Path=/; Secure; SameSite=Lax");
    }
);

both_backends!(
    cookie_writes_need_csrf_proof_and_a_known_origin,
    |app| async move {
        let (user, _) = app.verified_user().await;
        let jar = Jar::from(&cookie_login(&app, &user).await);
        let update = |proof| jar.send(app.client.put(app.url("/api/user/profile")), proof);
        let body = json!({"first_name": "Changed"});
        // No proof, a wrong token, a foreign origin, a cross-site fetch: 403, nothing changes.
        let refused = [
            update(false).json(&body),
            update(false).header("x-csrf-token", "wrong").json(&body),
            update(true).header("origin", "https://evil.example").json(&body),
            update(true).header("sec-fetch-site", "cross-site").json(&body),
        ];
        for request in refused {
            assert_detail(request.send().await.unwrap(), 403, "CSRF validation failed").await;
        }
        let profile = jar
            .send(app.client.get(app.url("/api/user/profile")), false)
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(profile, 200).await["first_name"], json!(null));
        // With the proof, from our own origin, same-origin: done.
        let done = update(true)
            .header("origin", "http://localhost:8000")
            .header("sec-fetch-site", "same-origin")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(json_body(done, 200).await["first_name"], json!("Changed"));
    }
);

both_backends!(
    an_authorization_header_wins_and_needs_no_proof,
    |app| async move {
        let (user, tokens) = app.verified_user().await;
        let jar = Jar::from(&cookie_login(&app, &user).await);
        let request = jar
            .send(app.client.put(app.url("/api/user/profile")), false)
            .bearer_auth(&tokens.access)
            .json(&json!({"first_name": "Bearer"}));
        assert_eq!(
            json_body(request.send().await.unwrap(), 200).await["first_name"],
            json!("Bearer")
        );
        // A bad Authorization header is not rescued by the cookie.
        let request = jar
            .send(app.client.get(app.url("/api/user/profile")), true)
            .header("authorization", "Bearer garbage");
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
);

both_backends!(refresh_and_logout_by_cookie, |app| async move {
    let (user, _) = app.verified_user().await;
    let jar = Jar::from(&cookie_login(&app, &user).await);
    let refresh = |jar: &Jar, proof| jar.send(app.post("/api/auth/refresh"), proof);
    // The refresh cookie without CSRF proof: 403.
    assert_detail(
        refresh(&jar, false).send().await.unwrap(),
        403,
        "CSRF validation failed",
    )
    .await;
    let response = refresh(&jar, true).send().await.unwrap();
    let next = Jar::from(&response);
    assert_eq!(
        json_body(response, 200).await,
        json!({"token_type": "cookie", "expires_in": 900})
    );
    assert_ne!(next.cookie, jar.cookie);
    // Neither a body token nor a refresh cookie: the original's 422.
    let bare = app.post_json("/api/auth/refresh", &json!({})).await;
    assert_validation(bare, &["body", "refresh_token"], "missing").await;

    // Logout by cookie needs proof, revokes the session and clears the cookies.
    let logout = |proof| next.send(app.post("/api/auth/logout"), proof);
    assert_detail(logout(false).send().await.unwrap(), 403, "CSRF validation failed").await;
    let response = logout(true).send().await.unwrap();
    let cleared = set_cookies(&response);
    for name in ["astro_at", "astro_rt", "astro_csrf"] {
        assert!(cleared[name].1.contains("Max-Age=0"), "{name}: {cleared:?}");
    }
    assert_message(response, "Successfully logged out").await;
    let after = next
        .send(app.client.get(app.url("/api/user/profile")), false)
        .send()
        .await
        .unwrap();
    assert_detail(after, 401, INVALIDATED).await;
});
