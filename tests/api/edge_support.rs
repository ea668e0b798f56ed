//! What the edge tests share: requests from a chosen client address (through a trusted proxy)
//! and the contract's rate-limit answers.
use crate::checks::assert_detail;
use crate::helpers::TestApp;
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};
use std::future::Future;

/// The test client connects from 127.0.0.1; trusting it makes `X-Forwarded-For` count.
pub const TRUSTED_LOCALHOST: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1");

/// `request` as a proxy would forward it for the client `ip`.
pub fn forwarded_for(request: RequestBuilder, ip: &str) -> RequestBuilder {
    request.header("x-forwarded-for", ip)
}

impl TestApp {
    /// POST `path` with a JSON body on behalf of the client `ip` (see [`TRUSTED_LOCALHOST`]).
    pub async fn post_json_for(&self, ip: &str, path: &str, body: &Value) -> Response {
        let request = forwarded_for(self.post(path), ip).json(body);
        request.send().await.expect("sending the request")
    }

    /// POST /api/auth/login on behalf of the client `ip`.
    pub async fn login_for(&self, ip: &str, email: &str, password: &str) -> Response {
        let body = json!({"email": email, "password": password});
        self.post_json_for(ip, "/api/auth/login", &body).await
    }

    /// GET `path` on behalf of the client `ip`.
    pub async fn get_for(&self, ip: &str, path: &str) -> Response {
        let request = forwarded_for(self.client.get(self.url(path)), ip);
        request.send().await.expect("sending the request")
    }
}

/// The `RateLimit-*` headers of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    pub reset: u64,
}

/// A header's value as an integer, asserting it is there.
pub fn int_header(response: &Response, name: &str) -> u64 {
    let value = response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header from {}", response.url()));
    let text = value.to_str().expect("an ASCII header");
    text.parse()
        .unwrap_or_else(|_| panic!("{name} is not a non-negative integer: {text}"))
}

pub fn quota(response: &Response) -> Quota {
    Quota {
        limit: int_header(response, "ratelimit-limit"),
        remaining: int_header(response, "ratelimit-remaining"),
        reset: int_header(response, "ratelimit-reset"),
    }
}

/// Asserts the contract's 429: the body, a positive `Retry-After`, and `RateLimit-*` headers
/// saying none is left; returns them.
pub async fn assert_too_many(response: Response) -> Quota {
    let quota = quota(&response);
    let retry_after = int_header(&response, "retry-after");
    assert!(retry_after > 0, "Retry-After must be positive");
    assert_eq!(quota.remaining, 0, "{quota:?} on a 429");
    assert!(quota.reset > 0, "{quota:?} on a 429");
    assert_detail(response, 429, "Too many requests").await;
    quota
}

/// Sends `limit` requests that must pass with decreasing `RateLimit-Remaining`, then one more
/// that must be refused with `RateLimit-Limit: limit`.
pub async fn assert_limited_after<F, Fut>(limit: u64, mut send: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Response>,
{
    for sent in 1..=limit {
        let response = send().await;
        assert_ne!(response.status(), 429, "request {sent} of {limit} was refused");
        let quota = quota(&response);
        assert_eq!(
            (quota.limit, quota.remaining),
            (limit, limit - sent),
            "request {sent}"
        );
        assert!(quota.reset > 0, "{quota:?}");
    }
    assert_eq!(assert_too_many(send().await).await.limit, limit);
}
