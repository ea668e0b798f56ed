use super::*;
use crate::{
    kind::EmailKind,
    queue::{NewEmail, QueueCounts},
};
use std::sync::Mutex;

/// Fails every send as told and records what it was given.
struct FakeMailer {
    fail: Option<bool>,
    sent: Mutex<Vec<Message>>,
}

#[async_trait::async_trait]
impl Mailer for FakeMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.fail {
            Some(permanent) => Err(SendError {
                permanent,
                message: "550 no such user".into(),
            }),
            None => {
                self.sent.lock().unwrap().push(message);
                Ok(())
            }
        }
    }
}

async fn setup(
    fail: Option<bool>,
    max_attempts: u32,
) -> (
    tempfile::TempDir,
    Dispatcher,
    Arc<dyn EmailQueue>,
    Arc<FakeMailer>,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = astro_store::Db::connect(&format!("sqlite:///{}", dir.path().join("q.db").display()))
        .await
        .unwrap();
    db.migrate(&crate::queue::MIGRATIONS).await.unwrap();
    let queue = crate::queue::for_db(&db);
    let mailer = Arc::new(FakeMailer {
        fail,
        sent: Mutex::default(),
    });
    let config = DispatchConfig {
        from: "Astro <noreply@astro.test>".parse().unwrap(),
        poll_interval: Duration::from_millis(20),
        max_attempts,
        retry_base: Duration::ZERO,
    };
    let dispatcher = Dispatcher::new(queue.clone(), mailer.clone(), Arc::new(Notify::new()), config);
    (dir, dispatcher, queue, mailer)
}

async fn enqueue(queue: &dyn EmailQueue, key: &str) {
    let email = NewEmail {
        idempotency_key: key.into(),
        kind: EmailKind::Verification,
        recipient: "ann@example.com".into(),
        subject: "Hello".into(),
        body_text: "text".into(),
        body_html: "<p>html</p>".into(),
        message_id: format!("<{key}@astro.test>"),
        now: now_micros(),
    };
    assert!(queue.enqueue(&email).await.unwrap());
}

#[tokio::test]
async fn delivers_once_as_multipart_with_the_stored_message_id() {
    let (_dir, dispatcher, queue, mailer) = setup(None, 3).await;
    enqueue(&*queue, "k1").await;
    let live = CancellationToken::new();
    assert_eq!(dispatcher.drain(&live).await.unwrap(), 1);
    assert_eq!(
        dispatcher.drain(&live).await.unwrap(),
        0,
        "a sent email is not sent again"
    );
    let sent = mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let raw = String::from_utf8(sent[0].formatted()).unwrap();
    assert!(
        raw.contains("multipart/alternative") && raw.contains("Message-ID: <k1@astro.test>"),
        "{raw}"
    );
    assert_eq!(
        queue.stats().await.unwrap(),
        QueueCounts {
            pending: 0,
            sent: 1,
            dead: 0
        }
    );
}

#[tokio::test]
async fn transient_failures_retry_then_die_after_max_attempts() {
    let (_dir, dispatcher, queue, _) = setup(Some(false), 2).await;
    enqueue(&*queue, "k1").await;
    let live = CancellationToken::new();
    dispatcher.drain(&live).await.unwrap();
    assert_eq!(
        queue.stats().await.unwrap(),
        QueueCounts {
            pending: 1,
            sent: 0,
            dead: 0
        }
    );
    dispatcher.drain(&live).await.unwrap();
    assert_eq!(
        queue.stats().await.unwrap(),
        QueueCounts {
            pending: 0,
            sent: 0,
            dead: 1
        }
    );
}

#[tokio::test]
async fn permanent_failures_die_at_once() {
    let (_dir, dispatcher, queue, _) = setup(Some(true), 5).await;
    enqueue(&*queue, "k1").await;
    dispatcher.drain(&CancellationToken::new()).await.unwrap();
    assert_eq!(queue.stats().await.unwrap().dead, 1);
}

#[tokio::test]
async fn stopping_hands_claimed_emails_back() {
    let (_dir, dispatcher, queue, mailer) = setup(None, 3).await;
    enqueue(&*queue, "k1").await;
    let stopped = CancellationToken::new();
    stopped.cancel();
    assert_eq!(dispatcher.drain(&stopped).await.unwrap(), 0);
    assert!(mailer.sent.lock().unwrap().is_empty());
    let claimed = queue
        .claim_due(now_micros(), 10, now_micros() + 1_000_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "released at once, not after the lease");
}

#[tokio::test]
async fn run_wakes_on_notify_and_stops_on_cancel() {
    let (_dir, dispatcher, queue, mailer) = setup(None, 3).await;
    let wake = dispatcher.wake.clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(dispatcher.run(shutdown.clone()));
    enqueue(&*queue, "k1").await;
    wake.notify_one();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while mailer.sent.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not delivered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn retry_delay_doubles_with_bounded_jitter() {
    let base = Duration::from_secs(2);
    assert_eq!(retry_delay(base, 1, 0.0), base);
    assert_eq!(retry_delay(base, 3, 0.0), base * 4);
    assert_eq!(retry_delay(base, 3, 0.5), base * 6);
    assert_eq!(retry_delay(base, 3, 9.0), base * 6, "jitter is at most +50%");
    assert_eq!(retry_delay(base, u32::MAX, 0.5), MAX_RETRY_DELAY);
}
