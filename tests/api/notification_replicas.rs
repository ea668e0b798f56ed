//! Several notification replicas on one database never send an email twice: the stack's own
//! and two more share the queue, all retrying the same emails when the SMTP server comes up.
use crate::notification_support::{RETRYING, UNSETTLED, assert_one_verification_each};
use crate::smtp::smtp_test;
use astro_platform::grpc::{Peer, Plane};
use notification_service::NotificationApp;
use testkit::smtp::Recipients;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const USERS: usize = 30;
const EXTRA_REPLICAS: usize = 2;

/// Another notification service on the stack's settings (so on its database), served on a
/// plane of its own until `stop` is cancelled.
async fn replica(settings: &astro_platform::Settings, stop: CancellationToken) -> JoinHandle<()> {
    let app = NotificationApp::build(&settings.into())
        .await
        .expect("building a replica");
    let listener = Plane::in_process()
        .listen(Peer::Notification, &settings.process)
        .await
        .expect("an in-process listener");
    tokio::spawn(async move { app.serve(listener, stop).await.expect("serving a replica") })
}

smtp_test!(
    replicas_on_one_queue_send_each_email_once,
    |app, smtp| async move {
        let stop = CancellationToken::new();
        let mut replicas = Vec::new();
        for _ in 0..EXTRA_REPLICAS {
            replicas.push(replica(app.settings(), stop.clone()).await);
        }
        let users = app.register_many(USERS).await;
        // Held back by the closed port until every replica may hold a due retry.
        app.wait_for_count(RETRYING, USERS as i64).await;

        let smtp = smtp.start(Recipients::Accept);
        smtp.wait_for(USERS).await;
        app.wait_for_count(UNSETTLED, 0).await;
        assert_one_verification_each(&smtp.received(), &users);

        stop.cancel();
        for replica in replicas {
            replica.await.expect("a replica stops cleanly");
        }
    }
);
