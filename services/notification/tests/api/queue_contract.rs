//! One contract, both databases: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
use astro_platform::time::now_micros;
use notification_service::{
    kind::EmailKind,
    queue::{self, EmailQueue, Finished, NewEmail, QueueCounts, Retry},
};
use std::{collections::HashSet, sync::Arc};
use testkit::on_each_backend;

const MINUTE: i64 = 60_000_000;

fn email(key: &str, kind: EmailKind, recipient: &str) -> NewEmail {
    NewEmail {
        idempotency_key: key.into(),
        kind,
        recipient: recipient.into(),
        subject: "Subject".into(),
        body_text: "text".into(),
        body_html: "<p>html</p>".into(),
        message_id: format!("<{key}@astro.test>"),
        now: now_micros(),
    }
}

/// Runs `contract` on a fresh SQLite database and, if configured, a fresh PostgreSQL one.
async fn on_both<F, Fut>(contract: F)
where
    F: Fn(Arc<dyn EmailQueue>) -> Fut,
    Fut: Future<Output = ()>,
{
    on_each_backend("nt", &queue::MIGRATIONS, |db| contract(queue::for_db(&db))).await;
}

#[tokio::test]
async fn an_idempotency_key_queues_once() {
    on_both(|q| async move {
        assert!(
            q.enqueue(&email("k", EmailKind::Verification, "a@x.test"))
                .await
                .unwrap()
        );
        assert!(
            !q.enqueue(&email("k", EmailKind::PasswordReset, "b@x.test"))
                .await
                .unwrap()
        );
        assert_eq!(
            q.stats().await.unwrap(),
            QueueCounts {
                pending: 1,
                sent: 0,
                dead: 0
            }
        );
    })
    .await;
}

#[tokio::test]
async fn claims_are_exclusive_and_only_due_emails_are_claimed() {
    on_both(|q| async move {
        for i in 0..40 {
            q.enqueue(&email(&format!("k{i}"), EmailKind::Verification, "a@x.test"))
                .await
                .unwrap();
        }
        let now = now_micros();
        let claims = (0..4).map(|_| {
            let q = q.clone();
            tokio::spawn(async move { q.claim_due(now, 15, now + MINUTE).await.unwrap() })
        });
        let mut seen = HashSet::new();
        for claim in claims {
            for email in claim.await.unwrap() {
                assert!(seen.insert(email.id), "email {} claimed twice", email.id);
            }
        }
        assert_eq!(seen.len(), 40);
        assert!(
            q.claim_due(now_micros(), 15, now + MINUTE)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn failures_wait_for_their_retry_time_and_dead_emails_stay_dead() {
    on_both(|q| async move {
        q.enqueue(&email("k", EmailKind::Verification, "a@x.test"))
            .await
            .unwrap();
        let now = now_micros();
        let id = q.claim_due(now, 10, now + MINUTE).await.unwrap()[0].id;
        q.mark_failed(id, 1, "421 try later", Retry::At(now + MINUTE))
            .await
            .unwrap();
        assert!(
            q.claim_due(now, 10, now + MINUTE).await.unwrap().is_empty(),
            "not due yet"
        );
        let retried = q.claim_due(now + 2 * MINUTE, 10, now + 3 * MINUTE).await.unwrap();
        assert_eq!(retried[0].attempts, 1);
        q.mark_failed(id, 2, "421 try later", Retry::Never).await.unwrap();
        assert!(
            q.claim_due(now + 10 * MINUTE, 10, now + 11 * MINUTE)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            q.stats().await.unwrap(),
            QueueCounts {
                pending: 0,
                sent: 0,
                dead: 1
            }
        );
    })
    .await;
}

#[tokio::test]
async fn expired_leases_are_requeued_and_live_ones_are_not() {
    on_both(|q| async move {
        q.enqueue(&email("k", EmailKind::Verification, "a@x.test"))
            .await
            .unwrap();
        let now = now_micros();
        assert_eq!(q.claim_due(now, 10, now + MINUTE).await.unwrap().len(), 1);
        assert_eq!(q.requeue_expired(now).await.unwrap(), 0);
        assert_eq!(q.requeue_expired(now + 2 * MINUTE).await.unwrap(), 1);
        assert_eq!(q.claim_due(now, 10, now + MINUTE).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn sent_emails_are_counted_and_never_claimed_again() {
    on_both(|q| async move {
        q.enqueue(&email("k", EmailKind::Verification, "a@x.test"))
            .await
            .unwrap();
        let now = now_micros();
        let id = q.claim_due(now, 10, now + MINUTE).await.unwrap()[0].id;
        q.mark_sent(id, now).await.unwrap();
        assert_eq!(q.requeue_expired(now + 2 * MINUTE).await.unwrap(), 0);
        assert!(
            q.claim_due(now + 2 * MINUTE, 10, now + 3 * MINUTE)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            q.stats().await.unwrap(),
            QueueCounts {
                pending: 0,
                sent: 1,
                dead: 0
            }
        );
    })
    .await;
}

#[tokio::test]
async fn purge_deletes_the_listed_kinds_of_one_recipient_in_every_state() {
    on_both(|q| async move {
        q.enqueue(&email("sent", EmailKind::Verification, "a@x.test"))
            .await
            .unwrap();
        let now = now_micros();
        let id = q.claim_due(now, 10, now + MINUTE).await.unwrap()[0].id;
        q.mark_sent(id, now).await.unwrap();
        q.enqueue(&email("pending", EmailKind::PasswordReset, "a@x.test"))
            .await
            .unwrap();
        q.enqueue(&email("kept", EmailKind::AccountDeleted, "a@x.test"))
            .await
            .unwrap();
        q.enqueue(&email("other", EmailKind::PasswordReset, "b@x.test"))
            .await
            .unwrap();
        let purge = [
            EmailKind::Verification,
            EmailKind::PasswordReset,
            EmailKind::PasswordChanged,
        ];
        assert_eq!(q.purge_recipient("a@x.test", &purge).await.unwrap(), 2);
        assert_eq!(
            q.stats().await.unwrap(),
            QueueCounts {
                pending: 2,
                sent: 0,
                dead: 0
            }
        );
    })
    .await;
}

#[tokio::test]
async fn only_finished_emails_older_than_the_cutoff_are_deleted_a_batch_at_a_time() {
    on_both(|q| async move {
        for key in ["sent-1", "sent-2", "sent-late", "dead", "pending"] {
            q.enqueue(&email(key, EmailKind::Verification, "a@x.test"))
                .await
                .unwrap();
        }
        let now = now_micros();
        let ids: Vec<i64> = q
            .claim_due(now, 10, now + MINUTE)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        q.mark_sent(ids[0], now).await.unwrap();
        q.mark_sent(ids[1], now).await.unwrap();
        q.mark_sent(ids[2], now + 10 * MINUTE).await.unwrap();
        q.mark_failed(ids[3], 1, "550 no such user", Retry::Never)
            .await
            .unwrap();
        q.release(&ids[4..]).await.unwrap();

        let before = now + MINUTE;
        assert_eq!(q.delete_finished(Finished::Sent, before, 1).await.unwrap(), 1);
        assert_eq!(q.delete_finished(Finished::Sent, before, 10).await.unwrap(), 1);
        assert_eq!(q.delete_finished(Finished::Sent, before, 10).await.unwrap(), 0);
        assert_eq!(
            q.delete_finished(Finished::Dead, now - MINUTE, 10).await.unwrap(),
            0
        );
        assert_eq!(q.delete_finished(Finished::Dead, before, 10).await.unwrap(), 1);
        assert_eq!(
            q.stats().await.unwrap(),
            QueueCounts {
                pending: 1,
                sent: 1,
                dead: 0
            }
        );
    })
    .await;
}
