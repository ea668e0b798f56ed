//! The whole system as separate processes: the five binaries on PostgreSQL and Redis, the auth
//! flow through the gateway, one service killed and restarted mid-run, and one request's spans
//! collected from several processes into one trace. Needs `TEST_DATABASE_URL` (a server where
//! databases may be created) and `TEST_REDIS_URL`; passes with a note when either is unset.
mod api;
mod binaries;
mod cluster;
mod consumer;
mod help;
mod import_cli;
mod one_process;
mod otlp;
mod plane;

use api::Api;
use cluster::{Cluster, Config, GATEWAY};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::{
    FRONTEND_URL, ScratchDb, TestUser, Tokens,
    mail::{MailDir, VERIFY_LINK},
};

const UNAVAILABLE: &str = "Service temporarily unavailable";
const USER_SERVICE: &str = "user-service";
const ADMIN_EMAIL: &str = "root@example.com";
const ADMIN_PASSWORD: &str = "Orbit-Lantern-5821!";

#[test]
fn five_processes_serve_trace_and_recover() {
    let (Ok(admin_url), Ok(redis_url)) = (
        std::env::var("TEST_DATABASE_URL"),
        std::env::var("TEST_REDIS_URL"),
    ) else {
        eprintln!("skipped: TEST_DATABASE_URL and TEST_REDIS_URL must both be set");
        return;
    };
    binaries::build_once();
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let database = runtime.block_on(ScratchDb::postgres(&admin_url, "mp"));
    let started = Instant::now();
    runtime.block_on(scenario(database.url(), &redis_url));
    eprintln!("scenario passed in {:.1?}", started.elapsed());
}

async fn scenario(database_url: &str, redis_url: &str) {
    let work_dir = tempfile::tempdir().expect("a temporary directory");
    let mail_dir = work_dir.path().join("mail");
    std::fs::create_dir_all(&mail_dir).expect("creating the mail directory");
    let (spans, otlp_endpoint) = otlp::Receiver::start().await;
    let mut cluster = Cluster::start(&Config {
        database_url: database_url.to_owned(),
        redis_url: redis_url.to_owned(),
        redis_key_prefix: format!("mp:{}:", uuid::Uuid::new_v4().simple()),
        otlp_endpoint,
        mail_dir: mail_dir.clone(),
        work_dir: work_dir.path().to_owned(),
        frontend_url: FRONTEND_URL.to_owned(),
        auth_env: vec![
            ("INITIAL_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
            ("INITIAL_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ],
    });
    let api = Api::new(&cluster.gateway_url);
    let phase = Instant::now();
    cluster.wait_ready(&api.client, Duration::from_secs(30)).await;
    eprintln!("five processes ready in {:.1?}", phase.elapsed());

    let admin = initial_admin(&api).await;
    traced_reads(&api, &admin.access, &spans).await;
    let user = TestUser::random();
    auth_flow(&api, &user, &MailDir::new(mail_dir)).await;
    traced_login(&api, &user, &spans).await;
    plane::locked(&cluster).await;
    plane::consumer_api(&cluster, &api, &user).await;
    consumer::example_consumer(&cluster, &api, &user).await;
    user_service_restart(&api, &user, &mut cluster).await;
    metrics(&api, &cluster).await;
    graceful_stop(&mut cluster).await;
}

/// The auth service created the admin of `INITIAL_ADMIN_*` (it starts before the user service:
/// processes start in name order) before reporting ready; it logs in and administers.
async fn initial_admin(api: &Api) -> Tokens {
    let credentials = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let (status, body) = api.post("/api/auth/login", &credentials, None, &[]).await;
    assert_eq!(status, 200, "admin login: {body}");
    let tokens = Tokens::from_body(&body);
    let (status, body) = api.get("/api/admin/stats", Some(&tokens.access)).await;
    assert_eq!(status, 200, "admin stats: {body}");
    assert_eq!(body["admin_users"], json!(1), "{body}");
    eprintln!("initial admin from INITIAL_ADMIN_* on auth-service: login and stats 200");
    tokens
}

/// An admin's user listing costs two gRPC calls, gateway → admin → user, and a profile read one,
/// gateway → user (`mfa_enabled` is on the user record, which auth keeps current, so auth is not
/// asked): the access token vouches for the caller's admin rights, so neither the gateway nor the
/// admin service looks the caller up.
async fn traced_reads(api: &Api, admin_access: &str, spans: &otlp::Receiver) {
    const ADMIN_LIST: &str = "/admin.v1.AdminService/ListUsers";
    const USER_LIST: &str = "/user.v1.UserService/ListUsers";
    const USER_GET: &str = "/user.v1.UserService/GetUser";
    traced_calls(
        api,
        "/api/admin/users",
        admin_access,
        spans,
        &[ADMIN_LIST, USER_LIST],
    )
    .await;
    traced_calls(api, "/api/user/profile", admin_access, spans, &[USER_GET]).await;
}

/// GETs `path` under a trace of its own and asserts that exactly the gRPC calls `expected`
/// (sorted) served it. Counted from the trace: one server span per call.
async fn traced_calls(api: &Api, path: &str, access: &str, spans: &otlp::Receiver, expected: &[&str]) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let traceparent = format!(
        "00-{trace_id}-{}-01",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let (status, body) = api
        .get_with(path, Some(access), &[("traceparent", &traceparent)])
        .await;
    assert_eq!(status, 200, "GET {path}: {body}");
    // A process exports its spans in the order they end, so once the last expected call's
    // span is in, so is any call it served earlier in the trace.
    let trace = spans
        .wait_for_trace(&trace_id, Duration::from_secs(20), |trace| {
            expected.iter().all(|name| trace.iter().any(|s| s.name == *name))
        })
        .await;
    let mut calls: Vec<&str> = trace
        .iter()
        .filter(|s| s.name.starts_with('/'))
        .map(|s| s.name.as_str())
        .collect();
    calls.sort_unstable();
    assert_eq!(calls, expected, "gRPC calls of GET {path}: {trace:#?}");
    eprintln!("GET {path}: {} gRPC call(s) ({calls:?})", calls.len());
}

/// Register, verify through the mailed link, log in, read the profile, refresh, log out.
async fn auth_flow(api: &Api, user: &TestUser, mail: &MailDir) {
    let (status, body) = api
        .post("/api/auth/register", &user.registration(), None, &[])
        .await;
    assert_eq!(status, 200, "register: {body}");
    let token = mail.wait_for_token(&user.email, VERIFY_LINK, 1).await;
    let (status, body) = api
        .post("/api/auth/verify-email", &json!({"token": token}), None, &[])
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "Email verified successfully"}))
    );
    let (status, body) = api.login(user).await;
    assert_eq!(status, 200, "login: {body}");
    let tokens = Tokens::from_body(&body);
    let (status, body) = api.get("/api/user/profile", Some(&tokens.access)).await;
    assert_eq!(
        (status, &body["username"]),
        (200, &json!(user.username)),
        "profile: {body}"
    );
    assert_eq!(body["is_verified"], json!(true));
    let refresh = json!({"refresh_token": tokens.refresh});
    let (status, body) = api.post("/api/auth/refresh", &refresh, None, &[]).await;
    assert_eq!(status, 200, "refresh: {body}");
    let tokens = Tokens::from_body(&body);
    let logout = json!({"refresh_token": tokens.refresh});
    let (status, body) = api
        .post("/api/auth/logout", &logout, Some(&tokens.access), &[])
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"message": "Successfully logged out"}))
    );
    eprintln!("register, verify, login, profile, refresh, logout: all 200");
}

/// A login sent with our own `traceparent`: its spans must reach the receiver from at least
/// three processes (gateway → auth → user), all under our trace id, the gateway's request span
/// a child of our span.
async fn traced_login(api: &Api, user: &TestUser, spans: &otlp::Receiver) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let parent_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let traceparent = format!("00-{trace_id}-{parent_id}-01");
    let (status, body) = api
        .post(
            "/api/auth/login",
            &user.credentials(),
            None,
            &[("traceparent", &traceparent)],
        )
        .await;
    assert_eq!(status, 200, "traced login: {body}");
    // Processes export in batches, a child before its parent, so wait for the whole tree:
    // spans from three processes, every parent received, a database span of its own.
    let one_tree = |trace: &[otlp::ReceivedSpan]| {
        trace.iter().all(|span| {
            span.parent_span_id == parent_id || trace.iter().any(|p| p.span_id == span.parent_span_id)
        })
    };
    let has_db_span = |trace: &[otlp::ReceivedSpan]| {
        trace
            .iter()
            .any(|s| s.name == "db.query" && s.service == "user-service")
    };
    let trace = spans
        .wait_for_trace(&trace_id, Duration::from_secs(20), |trace| {
            otlp::services(trace).len() >= 3 && one_tree(trace) && has_db_span(trace)
        })
        .await;
    let gateway_root = trace
        .iter()
        .find(|s| s.service == GATEWAY && s.parent_span_id == parent_id);
    assert!(
        gateway_root.is_some(),
        "no gateway span is a child of ours: {trace:#?}"
    );
    eprintln!(
        "trace {trace_id} (our span {parent_id}): {} spans from {:?}",
        trace.len(),
        otlp::services(&trace)
    );
    for span in &trace {
        eprintln!(
            "  {:<21} {:<44} span {} parent {}",
            span.service, span.name, span.span_id, span.parent_span_id
        );
    }
}

/// SIGKILL the user service: calls needing it fail fast with 503; started again on the same
/// port, it serves again without restarting the gateway or auth.
async fn user_service_restart(api: &Api, user: &TestUser, cluster: &mut Cluster) {
    let (status, body) = api.login(user).await;
    assert_eq!(status, 200, "login: {body}");
    let tokens = Tokens::from_body(&body);
    cluster.kill(USER_SERVICE);
    let down = Instant::now();
    let (status, body) = api.get("/api/user/profile", Some(&tokens.access)).await;
    assert_eq!(
        (status, body),
        (503, json!({"detail": UNAVAILABLE})),
        "profile while down"
    );
    let (status, body) = api.login(user).await;
    assert_eq!(
        (status, body),
        (503, json!({"detail": UNAVAILABLE})),
        "login while down"
    );
    assert!(
        down.elapsed() < Duration::from_secs(5),
        "503s took {:?}",
        down.elapsed()
    );
    eprintln!(
        "{USER_SERVICE} killed: profile and login answered 503 in {:.1?}",
        down.elapsed()
    );
    outage_logs(api, &tokens.access, cluster).await;

    cluster.spawn(USER_SERVICE);
    let restarted = Instant::now();
    let tokens = loop {
        cluster.assert_running();
        match api.login(user).await {
            (200, body) => break Tokens::from_body(&body),
            (503, _) if restarted.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (status, body) => panic!("login after the restart: {status} {body}"),
        }
    };
    let (status, body) = api.get("/api/user/profile", Some(&tokens.access)).await;
    assert_eq!(status, 200, "profile after the restart: {body}");
    eprintln!(
        "{USER_SERVICE} restarted: login and profile 200 after {:.1?}",
        restarted.elapsed()
    );
}

/// Hundreds of requests failing for a dead service add a few lines to the gateway's log (its
/// warnings are rate-limited per dependency), not one or two per request.
async fn outage_logs(api: &Api, access: &str, cluster: &Cluster) {
    const REQUESTS: usize = 300;
    let before = cluster.log(GATEWAY).lines().count();
    for _ in 0..REQUESTS {
        let (status, body) = api.get("/api/user/profile", Some(access)).await;
        assert_eq!(status, 503, "{body}");
    }
    let log = cluster.log(GATEWAY);
    let added: Vec<&str> = log.lines().skip(before).collect();
    // At most one line per 5 s: the burst may straddle a window's end.
    assert!(
        added.len() <= 2,
        "{REQUESTS} failed requests logged:\n{}",
        added.join("\n")
    );
    eprintln!(
        "{REQUESTS} requests during the outage: {} gateway log lines",
        added.len()
    );
}

/// Every service's metrics port and the gateway's `/metrics` speak Prometheus text.
async fn metrics(api: &Api, cluster: &Cluster) {
    for (name, url) in &cluster.metrics_urls {
        let log = cluster.log(name);
        assert!(!log.contains("metrics cannot be served"), "{name}:\n{log}");
        let text = api.text(url).await;
        assert!(
            text.contains("grpc_server_requests_total{"),
            "{name} metrics:\n{text}"
        );
    }
    let text = api.text(&format!("{}/metrics", cluster.gateway_url)).await;
    assert!(text.contains("http_requests_total{"), "gateway metrics:\n{text}");
    // The outage of `user_service_restart`, counted by service.
    assert!(
        text.contains(r#"dependency_failures_total{dependency="user"}"#),
        "gateway metrics:\n{text}"
    );
    eprintln!("metrics: grpc_server_requests_total on 4 services, http_requests_total on the gateway");
}

/// SIGTERM drains and exits 0, promptly, for each process.
async fn graceful_stop(cluster: &mut Cluster) {
    for name in cluster.running() {
        let stopping = Instant::now();
        let status = cluster.terminate(name, Duration::from_secs(10)).await;
        assert!(status.success(), "{name} exited with {status} after SIGTERM");
        eprintln!("{name}: SIGTERM → exit 0 in {:.1?}", stopping.elapsed());
    }
}
