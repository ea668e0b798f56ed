//! `example-consumer`: see the library. Configured by environment:
//! `ASTRO_JWKS_URL` (the gateway's `/.well-known/jwks.json`), `ASTRO_AUTH_URL` and
//! `ASTRO_USER_URL` (`https://…`, verified as `auth` and `user`, or both the one-process
//! binary's `INTERNAL_GRPC_ADDR` with `ASTRO_SERVER_NAME`), `ASTRO_CERTS_DIR` and
//! `ASTRO_CERT_NAME` (from `astro-auth certs --name NAME`), `ADDR` (default 127.0.0.1:8100).
use anyhow::Context;
use astro_auth_client::{AstroAuth, Certificates, JwksVerifier, ServiceAddr};
use std::sync::Arc;

fn var(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let certificates = Certificates::from_dir(var("ASTRO_CERTS_DIR")?.as_ref(), &var("ASTRO_CERT_NAME")?)?;
    let name = |default: &str| std::env::var("ASTRO_SERVER_NAME").unwrap_or_else(|_| default.into());
    let auth = ServiceAddr {
        url: var("ASTRO_AUTH_URL")?,
        server_name: name("auth"),
    };
    let user = ServiceAddr {
        url: var("ASTRO_USER_URL")?,
        server_name: name("user"),
    };
    let client = AstroAuth::connect_lazy(&auth, &user, &certificates)?;
    let verifier = Arc::new(JwksVerifier::new(
        &var("ASTRO_JWKS_URL")?,
        "astro-auth",
        "astro-auth",
    ));
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8100".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    // Tests read the actual address (ADDR may name port 0) from this line.
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, example_consumer::router(client, verifier)).await?;
    Ok(())
}
