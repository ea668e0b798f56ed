//! The example consumer (`examples/consumer`, built on `astro-auth-client`) as a process of its
//! own beside the five, certified as the plane's consumer: it checks a real login's access
//! token against the gateway's JWKS (the cluster signs with EdDSA) and reads the caller from
//! the user service over mutual TLS.
use crate::{
    api::Api,
    binaries,
    cluster::{CONSUMER, Cluster},
};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};
use testkit::{TestUser, Tokens};

/// Killed and reaped when dropped, however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn example_consumer(cluster: &Cluster, api: &Api, user: &TestUser) {
    let mut child = Command::new(binaries::path("example-consumer"))
        .env_clear()
        .env(
            "ASTRO_JWKS_URL",
            format!("{}/.well-known/jwks.json", cluster.gateway_url),
        )
        .env(
            "ASTRO_AUTH_URL",
            format!("https://{}", cluster.grpc_addrs["auth"]),
        )
        .env(
            "ASTRO_USER_URL",
            format!("https://{}", cluster.grpc_addrs["user"]),
        )
        .env("ASTRO_CERTS_DIR", &cluster.certs_dir)
        .env("ASTRO_CERT_NAME", CONSUMER)
        .env("ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting example-consumer");
    let stdout = child.stdout.take().expect("its stdout");
    let running = Running(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("reading its first line")
    .expect("its first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("example-consumer said {line:?}"));

    let (status, body) = api.login(user).await;
    assert_eq!(status, 200, "login: {body}");
    let tokens = Tokens::from_body(&body);
    for path in ["/me", "/me/exact"] {
        let response = api
            .client
            .get(format!("http://{addr}{path}"))
            .bearer_auth(&tokens.access)
            .send()
            .await
            .expect("example-consumer answers");
        assert_eq!(response.status(), 200, "{path}");
        let me: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(me["email"], user.email.as_str(), "{path}: {me}");
    }
    let refused = api
        .client
        .get(format!("http://{addr}/me"))
        .send()
        .await
        .expect("example-consumer answers");
    assert_eq!(refused.status(), 401);
    drop(running);
    eprintln!("example consumer: a login's EdDSA token accepted locally (JWKS) and by ValidateToken");
}
