//! Browser mode: the tokens in `HttpOnly` cookies instead of JavaScript's reach, and a
//! double-submit CSRF token, as the contract's "Browser mode" section says. A client asks for it
//! with `X-Token-Transport: cookie`; an `Authorization` header always wins over cookies.
use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};

/// The header by which a client asks for cookies.
pub const TRANSPORT_HEADER: &str = "x-token-transport";
/// The header that must repeat the CSRF cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_FAILED: &str = "CSRF validation failed";

/// The cookies' names and lifetimes, and the origins a cookie-authenticated write may come from.
#[derive(Clone, Debug)]
pub struct CookiePolicy {
    secure: bool,
    access_max_age: u64,
    refresh_max_age: u64,
    /// `BASE_URL`'s origin and `CORS_ORIGINS`.
    origins: Vec<String>,
}

impl CookiePolicy {
    pub fn new(
        secure: bool,
        access_max_age: u64,
        refresh_max_age: u64,
        base_url: &str,
        cors: &[String],
    ) -> Self {
        let origins = std::iter::once(origin_of(base_url))
            .chain(cors.iter().map(|o| o.trim_end_matches('/').to_owned()))
            .collect();
        CookiePolicy {
            secure,
            access_max_age,
            refresh_max_age,
            origins,
        }
    }

    fn access_name(&self) -> &'static str {
        if self.secure {
            "__Host-astro_at"
        } else {
            "astro_at"
        }
    }

    fn refresh_name(&self) -> &'static str {
        if self.secure {
            "__Secure-astro_rt"
        } else {
            "astro_rt"
        }
    }

    fn csrf_name(&self) -> &'static str {
        if self.secure {
            "__Host-astro_csrf"
        } else {
            "astro_csrf"
        }
    }

    /// The access token of the access cookie, when it is what authenticates the request: it
    /// has one and no `Authorization` header (which always wins).
    pub fn access_token<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        if headers.contains_key(header::AUTHORIZATION) {
            return None;
        }
        cookie(headers, self.access_name())
    }

    /// The refresh token of the refresh cookie (sent only to `/api/auth`).
    pub fn refresh_token<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie(headers, self.refresh_name())
    }

    /// The three cookies of a cookie-mode login or refresh, with a fresh CSRF token.
    pub fn set_tokens(&self, headers: &mut HeaderMap, access: &str, refresh: &str) {
        let secure = if self.secure { "; Secure" } else { "" };
        let csrf = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        for cookie in [
            format!(
                "{}={access}; Path=/; HttpOnly{secure}; SameSite=Lax; Max-Age={}",
                self.access_name(),
                self.access_max_age
            ),
            format!(
                "{}={refresh}; Path=/api/auth; HttpOnly{secure}; SameSite=Strict; Max-Age={}",
                self.refresh_name(),
                self.refresh_max_age
            ),
            format!("{}={csrf}; Path=/{secure}; SameSite=Lax", self.csrf_name()),
        ] {
            append(headers, &cookie);
        }
    }

    /// Clears the three cookies (logout).
    pub fn clear(&self, headers: &mut HeaderMap) {
        let secure = if self.secure { "; Secure" } else { "" };
        for (name, path, http_only) in [
            (self.access_name(), "/", "; HttpOnly"),
            (self.refresh_name(), "/api/auth", "; HttpOnly"),
            (self.csrf_name(), "/", ""),
        ] {
            append(
                headers,
                &format!("{name}=; Path={path}{http_only}{secure}; Max-Age=0"),
            );
        }
    }

    /// The proof a cookie-authenticated write must bring: `X-CSRF-Token` equal to the CSRF
    /// cookie, an `Origin` (when sent) of ours, a `Sec-Fetch-Site` (when sent) not cross-site.
    pub fn check_csrf(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let refused = || ApiError::Detail(StatusCode::FORBIDDEN, CSRF_FAILED.into());
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let expected = cookie(headers, self.csrf_name());
        match (sent, expected) {
            (Some(sent), Some(expected)) if !expected.is_empty() && same(sent, expected) => {}
            _ => return Err(refused()),
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().map_err(|_| refused())?;
            if !self.origins.iter().any(|allowed| allowed == origin) {
                return Err(refused());
            }
        }
        if let Some(site) = headers.get("sec-fetch-site")
            && !matches!(site.to_str(), Ok("same-origin" | "same-site" | "none"))
        {
            return Err(refused());
        }
        Ok(())
    }
}

/// Whether the client asked for cookies.
pub fn wants_cookies(headers: &HeaderMap) -> bool {
    headers
        .get(TRANSPORT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"))
}

/// Whether `method` changes something, so that a cookie-authenticated request needs CSRF proof.
pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The value of cookie `name` among the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn append(headers: &mut HeaderMap, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// Equality that takes as long whatever the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let url = url.trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_cookie_parsing() {
        assert_eq!(
            origin_of("https://api.example.com/base/"),
            "https://api.example.com"
        );
        assert_eq!(origin_of("http://localhost:8000"), "http://localhost:8000");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; astro_at=tok; b=2"));
        assert_eq!(cookie(&headers, "astro_at"), Some("tok"));
        assert_eq!(cookie(&headers, "astro_rt"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
