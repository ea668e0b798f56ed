//! The contract's rate limits: per client IP on every route and, tighter, on the credential
//! routes; per target email on forgot-password; and failed logins per account, which a botnet
//! cannot spread across addresses but which never lock the owner out of an address they
//! logged in from before.
pub mod quota;
mod store;

use crate::error::ApiError;
use astro_platform::config::RateLimitSettings;
use axum::http::Method;
use quota::Quota;
use std::{net::IpAddr, sync::Arc, time::Duration};
use store::{Count, StoreUnavailable};
pub use store::{LimitStore, MemoryStore, RedisStore};

const MINUTE: Duration = Duration::from_secs(60);
const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
const HOUR: Duration = Duration::from_secs(3600);
const KNOWN_ADDRESS_TTL: Duration = Duration::from_secs(30 * 86_400);

/// Routes never limited: probes and metrics scrapes.
const EXEMPT: [&str; 3] = ["/health", "/ready", "/metrics"];
/// Routes with the per-IP credential limit (`LOGIN_RATE_LIMIT_PER_15MIN`): guessing a second
/// factor or a password again is guessing credentials too.
const CREDENTIAL_ROUTES: [&str; 5] = [
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/resend-verification",
    "/api/auth/mfa/verify",
    "/api/auth/reauthenticate",
];
const FORGOT_PASSWORD: &str = "/api/auth/forgot-password";

pub struct Limits {
    store: Arc<dyn LimitStore>,
    settings: RateLimitSettings,
}

fn quota(limit: u32, count: Count) -> Quota {
    Quota {
        limit,
        remaining: limit.saturating_sub(count.hits as u32),
        reset_secs: count.reset_secs,
    }
}

fn unavailable(err: StoreUnavailable) -> ApiError {
    astro_platform::dependency::record("redis", &err);
    ApiError::Unavailable
}

impl Limits {
    pub fn new(store: Arc<dyn LimitStore>, settings: RateLimitSettings) -> Self {
        Self { store, settings }
    }

    /// Counts a request against its per-IP limits; `Ok(None)` for exempt routes.
    pub async fn check_request(
        &self,
        method: &Method,
        path: &str,
        ip: IpAddr,
    ) -> Result<Option<Quota>, ApiError> {
        if EXEMPT.contains(&path) {
            return Ok(None);
        }
        let mut tightest = self
            .count(format!("rl:min:{ip}"), self.settings.per_minute, MINUTE)
            .await?;
        if method == Method::POST {
            let route_limit = if CREDENTIAL_ROUTES.contains(&path) {
                Some((self.settings.login_per_15min, FIFTEEN_MINUTES))
            } else if path == FORGOT_PASSWORD {
                Some((self.settings.password_reset_per_hour, HOUR))
            } else {
                None
            };
            if let Some((limit, window)) = route_limit {
                let quota = self.count(format!("rl:route:{path}:{ip}"), limit, window).await?;
                if quota.remaining < tightest.remaining {
                    tightest = quota;
                }
            }
        }
        Ok(Some(tightest))
    }

    /// Forgot-password per target email, so nobody can flood someone's inbox from many IPs.
    pub async fn check_reset_email(&self, email: &str) -> Result<(), ApiError> {
        self.count(
            format!("rl:reset-email:{email}"),
            self.settings.password_reset_per_hour,
            HOUR,
        )
        .await
        .map(drop)
    }

    /// Refuses a login attempt for an account under attack, unless from an address that
    /// logged in to it successfully before.
    pub async fn check_login(&self, email: &str, ip: IpAddr) -> Result<(), ApiError> {
        let failures = self.store.peek(&failure_key(email)).await.map_err(unavailable)?;
        if failures.hits < u64::from(self.settings.login_failures_per_account_15min) {
            return Ok(());
        }
        if self
            .store
            .is_marked(&known_address_key(email, ip))
            .await
            .map_err(unavailable)?
        {
            return Ok(());
        }
        Err(ApiError::RateLimited(quota(
            self.settings.login_failures_per_account_15min,
            failures,
        )))
    }

    pub async fn login_failed(&self, email: &str) -> Result<(), ApiError> {
        self.store
            .hit(&failure_key(email), FIFTEEN_MINUTES)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    pub async fn login_succeeded(&self, email: &str, ip: IpAddr) -> Result<(), ApiError> {
        self.store
            .mark(&known_address_key(email, ip), KNOWN_ADDRESS_TTL)
            .await
            .map_err(unavailable)
    }

    pub async fn ready(&self) -> bool {
        self.store.ready().await
    }

    async fn count(&self, key: String, limit: u32, window: Duration) -> Result<Quota, ApiError> {
        let count = self.store.hit(&key, window).await.map_err(unavailable)?;
        let quota = quota(limit, count);
        if count.hits > u64::from(limit) {
            return Err(ApiError::RateLimited(quota));
        }
        Ok(quota)
    }
}

fn account(email: &str) -> String {
    email.trim().to_lowercase()
}

fn failure_key(email: &str) -> String {
    format!("rl:login-fail:{}", account(email))
}

fn known_address_key(email: &str, ip: IpAddr) -> String {
    format!("rl:login-ok:{}:{ip}", account(email))
}
