//! Routes outside the API proper: health, root, documentation, and unknown routes.
use crate::checks::*;
use crate::helpers::*;
use serde_json::json;

/// Every route of the contract, as (method, path with its parameter named `{}`).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/forgot-password"),
    ("post", "/api/auth/reset-password"),
    ("post", "/api/auth/verify-email"),
    ("post", "/api/auth/resend-verification"),
    ("get", "/api/user/profile"),
    ("put", "/api/user/profile"),
    ("post", "/api/user/change-password"),
    ("post", "/api/user/upload-avatar"),
    ("delete", "/api/user/account"),
    ("get", "/api/admin/users"),
    ("get", "/api/admin/users/{}"),
    ("put", "/api/admin/users/{}"),
    ("delete", "/api/admin/users/{}"),
    ("put", "/api/admin/users/{}/role"),
    ("get", "/api/admin/stats"),
    ("get", "/api/admin/audit-log"),
    ("get", "/health"),
    ("get", "/"),
];

/// `/a/{user_id}/b` → `/a/{}/b`, so parameter names do not matter.
fn template(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => (in_param, out) = (true, out + "{}"),
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// Asserts a 200 HTML page whose stylesheets and scripts load from where it is.
async fn assert_html(app: &TestApp, path: &str) {
    let page = html_page(app, path).await;
    for link in page_links(&page) {
        // A relative link resolves against the page's directory, which for `/docs` is `/`.
        let url = match link.strip_prefix("./").unwrap_or(&link) {
            absolute if absolute.starts_with('/') => absolute.to_owned(),
            relative => format!("{}{relative}", &path[..=path.rfind('/').unwrap()]),
        };
        let status = app.get(&url, None).await.status();
        assert_eq!(status, 200, "{path} links {link:?}, which resolves to {url}");
    }
}

/// The `href` and `src` values of `page` that are not on other sites.
fn page_links(page: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (at, _) in page.match_indices(attr) {
            let value = &page[at + attr.len()..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            if !value.contains("://") && !value.is_empty() {
                links.push(value.to_owned());
            }
        }
    }
    links
}

/// The body of a 200 HTML page (no redirect), lower-cased.
async fn html_page(app: &TestApp, path: &str) -> String {
    let response = app.get(path, None).await;
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let page = text_body(response, 200).await.to_lowercase();
    assert!(
        content_type.is_some_and(|t| t.starts_with("text/html")),
        "{path} is not text/html"
    );
    assert!(
        page.contains("<html") || page.contains("<!doctype html"),
        "{path}: {page}"
    );
    page
}

both_backends!(health_reports_the_environment, |app| async move {
    let body = json_body(app.get("/health", None).await, 200).await;
    assert_eq!(body, json!({"status": "healthy", "environment": "test"}));
});

both_backends!(root_describes_the_api, |app| async move {
    let body = json_body(app.get("/", None).await, 200).await;
    let version = env!("CARGO_PKG_VERSION");
    let expected = json!({"message": "Astro Auth System API", "version": version, "docs": "/docs"});
    assert_eq!(body, expected);
});

both_backends!(openapi_describes_every_route, |app| async move {
    let spec = json_body(app.get("/openapi.json", None).await, 200).await;
    let version = spec["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi is {version:?}");
    let paths = spec["paths"].as_object().expect("paths");
    let described: Vec<(String, &serde_json::Value)> =
        paths.iter().map(|(p, item)| (template(p), item)).collect();
    let missing: Vec<_> = ROUTES
        .iter()
        .filter(|(method, path)| {
            !described
                .iter()
                .any(|(p, item)| p == path && item.get(*method).is_some())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
});

both_backends!(documentation_pages_are_html, |app| async move {
    // The original serves Swagger UI at `/docs` itself; `/docs/` works too.
    assert_html(&app, "/docs").await;
    assert_html(&app, "/docs/").await;
    assert_html(&app, "/redoc").await;
});

both_backends!(unknown_path_is_404, |app| async move {
    assert_detail(app.get("/no/such/route", None).await, 404, "Not Found").await;
    assert_detail(app.get("/api/auth/nothing", None).await, 404, "Not Found").await;
});

both_backends!(wrong_method_is_405, |app| async move {
    assert_detail(app.get("/api/auth/login", None).await, 405, "Method Not Allowed").await;
    let response = app
        .client
        .delete(app.url("/api/auth/register"))
        .send()
        .await
        .unwrap();
    assert_detail(response, 405, "Method Not Allowed").await;
});
