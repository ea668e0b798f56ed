//! `astro-auth import-users` at 10,000 users: a JSON Lines file (bcrypt hashes, as the
//! original's) into a fresh SQLite database, and into a fresh PostgreSQL database when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server. Reports the time and rows/s.
//!
//! Run: `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench import_users`
use astro_auth::import::{self, Options};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::{io::Write, time::Instant};

const USERS: usize = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("users.jsonl");
    // One hash for all: the import checks each hash's shape, never the password.
    let hash = bcrypt::hash("bench-0riginal-pass", 4)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for n in 0..USERS {
        let line = serde_json::json!({
            "email": format!("user{n}@import.bench"), "username": format!("user{n}"),
            "password_hash": hash, "first_name": "Ada", "is_verified": n % 3 != 0,
            "created_at": "2023-02-03T04:05:06Z",
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;

    let sqlite = format!("sqlite:///{}", dir.path().join("astro.db").display());
    run("SQLite", &file, &sqlite).await?;

    let server = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL"));
    if let Ok(server) = server {
        let name = format!("astro_import_bench_{}", std::process::id());
        let mut admin = PgConnection::connect(&server).await?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => anyhow::bail!("BENCH_DATABASE_URL needs a database path"),
        };
        let result = run("PostgreSQL", &file, &url).await;
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
            .execute(&mut admin)
            .await?;
        result?;
    } else {
        eprintln!("PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL");
    }
    Ok(())
}

async fn run(label: &str, file: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let rows = import::from_file(file)?;
    let summary = import::into_database(database_url, rows, Options::default()).await?;
    let took = started.elapsed();
    anyhow::ensure!(summary.imported == USERS, "{summary}");
    println!(
        "{label}: {USERS} users imported in {:.2} s ({:.0} rows/s)",
        took.as_secs_f64(),
        USERS as f64 / took.as_secs_f64()
    );
    Ok(())
}
