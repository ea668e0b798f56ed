//! What a rate limit left a client, reported in the `RateLimit-*` headers of every limited
//! response and of the 429 itself. Apart from the limits, so the error type can carry it.
use axum::http::{HeaderMap, HeaderValue};

/// The tightest limit that applied to a request.
#[derive(Clone, Copy, Debug)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

impl Quota {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
    }
}
