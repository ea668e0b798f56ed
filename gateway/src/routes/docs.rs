//! The documentation pages: the OpenAPI document, Swagger UI at `/docs` (as the original serves
//! it, no redirect) and `/docs/`, and ReDoc, all from files built into the binary so they work
//! without internet access.
use crate::state::AppState;
use axum::{
    Json, Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use std::sync::{Arc, LazyLock};
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerFile};

/// Where Swagger UI lives; its files are under `{SWAGGER}/`.
const SWAGGER: &str = "/docs";
const OPENAPI: &str = "/openapi.json";

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| Arc::new(Config::from(OPENAPI)));
/// Swagger UI's `index.html` refers to its files relatively (`./swagger-ui.css`), which from
/// `/docs` (no trailing slash) would resolve to the site root. The links are made absolute
/// here, rather than with a `<base>` element, which the CSP (`base-uri 'none'`) forbids.
static INDEX_AT_DOCS: LazyLock<String> = LazyLock::new(|| {
    let index = swagger_file("index.html").expect("Swagger UI has an index.html");
    absolute_links(&String::from_utf8_lossy(&index.bytes), SWAGGER)
});

/// The documentation routes for `spec`, which the caller generates (so the routes, which the
/// document describes, do not depend on it).
pub fn router(spec: OpenApi) -> Router<AppState> {
    let spec = Arc::new(spec);
    Router::new()
        .route(
            OPENAPI,
            get(move || {
                let spec = Arc::clone(&spec);
                async move { Json(spec.as_ref().clone()) }
            }),
        )
        .route(SWAGGER, get(|| async { Html(INDEX_AT_DOCS.as_str()) }))
        .route(&format!("{SWAGGER}/"), get(|| async { swagger_response("") }))
        .route(
            &format!("{SWAGGER}/{{*file}}"),
            get(|Path(file): Path<String>| async move { swagger_response(&file) }),
        )
        .route("/redoc", get(redoc))
        .route("/redoc/redoc.standalone.js", get(redoc_script))
}

fn swagger_file(path: &str) -> Option<SwaggerFile<'static>> {
    // `serve` fails only when rewriting the initializer with the config, which is static.
    utoipa_swagger_ui::serve(path, CONFIG.clone()).ok().flatten()
}

fn swagger_response(path: &str) -> Response {
    let Some(file) = swagger_file(path) else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "detail": "Not Found" })),
        )
            .into_response();
    };
    let mut response = (
        [(header::CONTENT_TYPE, file.content_type)],
        file.bytes.into_owned(),
    )
        .into_response();
    if file.gzpipped {
        let gzip = HeaderValue::from_static("gzip");
        response.headers_mut().insert(header::CONTENT_ENCODING, gzip);
    }
    response
}

/// `page` with every relative `href="…"` and `src="…"` made absolute under `prefix`.
fn absolute_links(page: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(page.len() + 128);
    let mut rest = page;
    while let Some(at) = ["href=\"", "src=\""]
        .iter()
        .filter_map(|attr| rest.find(attr).map(|i| i + attr.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let value = &rest[..rest.find('"').unwrap_or(rest.len())];
        if !(value.starts_with('/') || value.contains("://")) {
            out.push_str(prefix);
            out.push('/');
            rest = rest.strip_prefix("./").unwrap_or(rest);
        }
    }
    out.push_str(rest);
    out
}

/// ReDoc with its script served from here.
async fn redoc() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html><head><title>Astro Auth System API - ReDoc</title>",
        "<meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "</head><body><redoc spec-url=\"/openapi.json\"></redoc>",
        "<script src=\"/redoc/redoc.standalone.js\"></script></body></html>"
    ))
}

async fn redoc_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_bytes!("../../assets/redoc.standalone.js").as_slice(),
    )
}

#[cfg(test)]
mod tests {
    use super::absolute_links;

    #[test]
    fn relative_links_become_absolute_and_absolute_ones_stay() {
        let page =
            r#"<link href="./a.css"><link href="b.css"><script src="/c.js"></script><a href="https://x/y">"#;
        assert_eq!(
            absolute_links(page, "/docs"),
            r#"<link href="/docs/a.css"><link href="/docs/b.css"><script src="/c.js"></script><a href="https://x/y">"#
        );
    }
}
