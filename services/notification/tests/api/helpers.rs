//! A running service per test, on a database and mail directory of its own.
use astro_platform::config::Config as _;
use astro_platform::{
    Settings,
    grpc::{GrpcChannel, Peer, Plane},
};
use astro_proto::notification::v1::{
    QueueStats, QueueStatsRequest, notification_service_client::NotificationServiceClient,
};
use notification_service::NotificationApp;
use std::time::Duration;
use tempfile::TempDir;
use testkit::mail::MailDir;
use tokio_util::sync::CancellationToken;

/// A service started on `127.0.0.1:0`, writing mail into a temporary directory.
pub struct TestApp {
    pub client: NotificationServiceClient<GrpcChannel>,
    pub mail: MailDir,
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
        let app = NotificationApp::build(&(&settings).into()).await.unwrap();
        let plane = Plane::in_process();
        let listener = plane.listen(Peer::Notification, &settings.process).await.unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.serve(listener, shutdown.clone()));
        let client = NotificationServiceClient::new(plane.channel(Peer::Notification).unwrap());
        TestApp {
            client,
            mail: MailDir::new(mail_dir),
            shutdown,
            server,
            _dir: dir,
        }
    }

    /// The queue's counts once nothing is pending (or after 10 s): the dispatcher writes a
    /// message out before it marks the email sent, so a test that has read the message waits
    /// for the mark before it counts.
    pub async fn settled_stats(&mut self) -> QueueStats {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let stats = self
                .client
                .get_queue_stats(QueueStatsRequest {})
                .await
                .unwrap()
                .into_inner();
            if stats.pending == 0 || tokio::time::Instant::now() >= deadline {
                return stats;
            }
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
