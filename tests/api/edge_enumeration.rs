//! Nobody learns which emails have accounts: login, forgot-password and resend-verification
//! answer the same for a known and an unknown address. Timings are printed, never asserted.
use crate::helpers::*;
use reqwest::Response;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SAMPLES: usize = 7;

/// The status, body and the headers that could tell the cases apart (not the date or quota).
async fn observable(response: Response) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !name.as_str().starts_with("ratelimit-") && *name != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.text().await.expect("a body"))
}

/// Posts `body_for(email)` to `path` for `known` and `unknown` alternately: asserts identical
/// answers with `status`, and prints the median time of each.
async fn assert_indistinguishable(app: &TestApp, path: &str, known: &str, unknown: &str, status: u16) {
    let mut times: [Vec<Duration>; 2] = Default::default();
    let mut answers = Vec::new();
    for _ in 0..SAMPLES {
        for (i, email) in [known, unknown].into_iter().enumerate() {
            let body = body_for(path, email);
            let started = Instant::now();
            let response = app.post_json(path, &body).await;
            times[i].push(started.elapsed());
            answers.push(observable(response).await);
        }
    }
    assert_eq!(answers[0].0, status, "{:?}", answers[0]);
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "answers differ: {answers:#?}"
    );
    let [known_ms, unknown_ms] = times.map(|mut t| {
        t.sort();
        t[SAMPLES / 2]
    });
    eprintln!("{path}: median {known_ms:?} for a known email, {unknown_ms:?} for an unknown one");
}

fn body_for(path: &str, email: &str) -> Value {
    if path.ends_with("/login") {
        json!({"email": email, "password": OTHER_PASSWORD})
    } else {
        json!({"email": email})
    }
}

both_backends!(login_does_not_reveal_accounts, |app| async move {
    let (user, _) = app.unverified_user().await;
    assert_indistinguishable(&app, "/api/auth/login", &user.email, "nobody@example.com", 401).await;
});

both_backends!(forgot_password_does_not_reveal_accounts, |app| async move {
    let (user, _) = app.verified_user().await;
    let path = "/api/auth/forgot-password";
    assert_indistinguishable(&app, path, &user.email, "nobody@example.com", 200).await;
});

both_backends!(resend_verification_does_not_reveal_accounts, |app| async move {
    let (user, _) = app.unverified_user().await;
    let path = "/api/auth/resend-verification";
    assert_indistinguishable(&app, path, &user.email, "nobody@example.com", 200).await;
});
