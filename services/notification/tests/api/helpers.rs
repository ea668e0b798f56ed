//! Isolated databases and a running service per test.
use astro_common::{Settings, db::Db};
use astro_proto::notification::v1::notification_service_client::NotificationServiceClient;
use notification_service::NotificationApp;
use sqlx::{Connection, Executor, PgConnection};
use std::{path::PathBuf, time::Duration};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// A database that exists for one test: a SQLite file in a temporary directory, or a fresh
/// PostgreSQL database next to `TEST_DATABASE_URL`, dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub db: Db,
    admin: Option<(String, String)>,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        // `sqlite:///` + an absolute path: the SQLAlchemy form Db::connect reads as absolute.
        let url = format!("sqlite:///{}", dir.path().join("notification.db").display());
        let db = Db::connect(&url).await.unwrap();
        TestDb {
            db,
            admin: None,
            _dir: Some(dir),
        }
    }

    /// `None` when `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!("nt_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin_url.rsplit_once('/').expect("URL with a database name");
        let url = format!("{base}/{name}");
        let db = Db::connect(&url).await.unwrap();
        Some(TestDb {
            db,
            admin: Some((admin_url, name)),
            _dir: None,
        })
    }

    /// Closes the pool and drops a PostgreSQL test database.
    pub async fn drop_db(self) {
        self.db.close().await;
        if let Some((admin_url, name)) = self.admin {
            let mut conn = PgConnection::connect(&admin_url).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await
            .unwrap();
        }
    }
}

/// A service started on `127.0.0.1:0`, writing mail into a temporary directory.
pub struct TestApp {
    pub client: NotificationServiceClient<Channel>,
    pub mail_dir: PathBuf,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<Result<(), notification_service::NotificationError>>,
    _dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mail_dir = dir.path().join("mail");
        let db_url = format!("sqlite:///{}", dir.path().join("data/notification.db").display());
        let settings = Settings::from_lookup(|name| {
            Some(match name {
                "DATABASE_URL" => db_url.clone(),
                "MAIL_DIR" => mail_dir.display().to_string(),
                "FRONTEND_URL" => "http://front.test/".into(),
                "MAIL_POLL_INTERVAL_MS" => "100".into(),
                _ => return None,
            })
        })
        .unwrap();
        let app = NotificationApp::build(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.serve(listener, shutdown.clone()));
        let client = NotificationServiceClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
        TestApp {
            client,
            mail_dir,
            shutdown,
            server,
            _dir: dir,
        }
    }

    /// Waits (up to 10 s) until `count` `.eml` files exist and returns their contents.
    pub async fn wait_for_mail(&self, count: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut mails = Vec::new();
            for entry in std::fs::read_dir(&self.mail_dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "eml") {
                    let mail = std::fs::read_to_string(path).unwrap();
                    // The file may be mid-write; a multipart message is whole once it closes.
                    if mail.ends_with("--\r\n") {
                        mails.push(mail);
                    }
                }
            }
            if mails.len() >= count {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} mail(s) expected, {} written",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the service and waits until it has returned.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        result.expect("stops promptly").unwrap().unwrap();
    }
}
