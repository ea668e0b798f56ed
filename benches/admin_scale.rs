//! Admin routes at a million users, through the gateway: loads 1,000,000 users into a
//! PostgreSQL database of its own, then reports p50/p95 latency of the first page, page 500, a
//! search, a filtered search and the stats.
//!
//! Run: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench admin_scale`
//! (the database `astro_bench` is created next to it and kept, so later runs skip the load;
//! `BENCH_RELOAD=1` loads again).
use astro_auth::Stack;
use astro_platform::{Settings, config::Config as _};
use sqlx::{Connection, PgConnection, Row};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

const USERS: i64 = 1_000_000;
const SAMPLES: usize = 200;
const ADMIN_EMAIL: &str = "bench-admin@example.com";
const ADMIN_PASSWORD: &str = "Bench-Scale-Gate-4417!";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Ok(server_url) = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL"))
    else {
        eprintln!("set BENCH_DATABASE_URL (a PostgreSQL server where a database may be created)");
        return Ok(());
    };
    let database_url = prepare_database(&server_url).await?;
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.clone()),
        ("HOST", "127.0.0.1".into()),
        ("PORT", "0".into()),
        (
            "MAIL_DIR",
            std::env::temp_dir()
                .join("astro-bench-mail")
                .display()
                .to_string(),
        ),
        ("INITIAL_ADMIN_EMAIL", ADMIN_EMAIL.into()),
        ("INITIAL_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("RATE_LIMIT_PER_MINUTE", "100000000".into()),
        ("LOGIN_RATE_LIMIT_PER_15MIN", "100000000".into()),
    ]);
    let settings = Settings::from_lookup(|name| env.get(name).cloned())?;
    let stack = Stack::start(settings, CancellationToken::new()).await?;
    load_users(&database_url).await?;

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = format!("http://{}", stack.http_addr());
    let login: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"].as_str().expect("admin login").to_owned();

    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "GET (1,000,000 users)", "p50 ms", "p95 ms", "total"
    );
    for (name, path) in [
        ("first page", "/api/admin/users"),
        ("page 500", "/api/admin/users?page=500&per_page=20"),
        ("search `user12345`", "/api/admin/users?search=user12345"),
        (
            "search `ann7` + role=user + is_verified",
            "/api/admin/users?search=ann7&role=user&is_verified=true",
        ),
        (
            "sort -email, is_active=false",
            "/api/admin/users?sort=-email&is_active=false",
        ),
        ("stats", "/api/admin/stats"),
    ] {
        let url = format!("{base}{path}");
        let mut total = serde_json::Value::Null;
        for _ in 0..10 {
            total = fetch(&client, &url, &token)
                .await?
                .get("total")
                .cloned()
                .unwrap_or_default();
        }
        let mut samples = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let started = Instant::now();
            fetch(&client, &url, &token).await?;
            samples.push(started.elapsed());
        }
        samples.sort();
        let ms = |q: f64| {
            samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0
        };
        println!("{name:<44} {:>9.2} {:>9.2} {:>9}", ms(0.50), ms(0.95), total);
    }
    stack.stop().await
}

async fn fetch(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<serde_json::Value> {
    let response = client.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
    Ok(response.json().await?)
}

/// Creates `astro_bench` beside the server's default database unless it exists.
async fn prepare_database(server_url: &str) -> anyhow::Result<String> {
    let mut admin = PgConnection::connect(server_url).await?;
    let reload = std::env::var("BENCH_RELOAD").is_ok();
    if reload {
        sqlx::query("DROP DATABASE IF EXISTS astro_bench WITH (FORCE)")
            .execute(&mut admin)
            .await?;
    }
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = 'astro_bench'")
        .fetch_optional(&mut admin)
        .await?
        .is_some();
    if !exists {
        sqlx::query("CREATE DATABASE astro_bench")
            .execute(&mut admin)
            .await?;
    }
    let (prefix, _) = server_url
        .rsplit_once('/')
        .expect("a database URL ends in /<name>");
    Ok(format!("{prefix}/astro_bench"))
}

/// Bulk-loads the users in one statement (skipped when they are already there). It goes
/// through the real counting triggers, which run once per statement on PostgreSQL
/// (migration 4), so the load stays linear.
async fn load_users(database_url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(database_url).await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&mut conn)
        .await?
        .try_get("n")?;
    if count >= USERS {
        println!("{count} users already loaded");
        return Ok(());
    }
    let started = Instant::now();
    let now = chrono::Utc::now().timestamp_micros();
    sqlx::query(
        "INSERT INTO users (email, username, username_key, password_hash, first_name, last_name, role, \
                            is_verified, is_active, created_at, updated_at) \
         SELECT 'user' || g || '@example.com', 'user' || g, 'user' || g, '$argon2id$bench', \
                (ARRAY['Ann','Bob','Cid','Dee','Eve'])[1 + g % 5] || (g % 1000), 'Last' || (g % 5000), \
                CASE WHEN g % 1000 = 0 THEN 'admin' ELSE 'user' END, g % 3 <> 0, g % 50 <> 0, \
                $1 - (1000000 - g)::bigint * 2000000, $1 - (1000000 - g)::bigint * 2000000 \
         FROM generate_series(1, 1000000) AS g",
    )
    .bind(now)
    .execute(&mut conn)
    .await?;
    sqlx::query("ANALYZE users").execute(&mut conn).await?;
    println!("loaded {USERS} users in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
