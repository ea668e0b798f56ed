//! One-time tokens, the outbox, the janitor and a deleted user's data.
use super::{ACCOUNT_DELETED, MINUTE, VERIFICATION, due_keys, email, login, on_both, rotate};
use astro_platform::time::now_micros;
use auth_service::repo::{Expiring, Purpose, Rotation};
use std::sync::Arc;

#[tokio::test]
async fn a_one_time_token_is_consumed_once_for_its_purpose_and_superseded_by_a_newer_one() {
    on_both(|repo| async move {
        let repo = &*repo;
        let later = now_micros() + 60 * MINUTE;
        let (verify, reset) = (Purpose::VerifyEmail, Purpose::ResetPassword);
        repo.issue_one_time_token(1, verify, "h1", later, email("k1", 1, VERIFICATION))
            .await
            .unwrap();
        assert_eq!(repo.peek_one_time_token("h1", verify).await.unwrap(), Some(1));
        assert_eq!(
            repo.peek_one_time_token("h1", verify).await.unwrap(),
            Some(1),
            "peeking keeps it"
        );
        assert_eq!(repo.peek_one_time_token("h1", reset).await.unwrap(), None);
        assert_eq!(repo.consume_one_time_token("h1", reset).await.unwrap(), None);

        repo.issue_one_time_token(1, reset, "r1", later, email("k2", 1, VERIFICATION))
            .await
            .unwrap();
        repo.issue_one_time_token(1, verify, "h2", later, email("k3", 1, VERIFICATION))
            .await
            .unwrap();
        assert_eq!(
            repo.consume_one_time_token("h1", verify).await.unwrap(),
            None,
            "superseded"
        );
        assert_eq!(repo.consume_one_time_token("h2", verify).await.unwrap(), Some(1));
        assert_eq!(
            repo.consume_one_time_token("h2", verify).await.unwrap(),
            None,
            "used"
        );
        assert_eq!(repo.peek_one_time_token("h2", verify).await.unwrap(), None);
        assert_eq!(
            repo.consume_one_time_token("r1", reset).await.unwrap(),
            Some(1),
            "other purpose"
        );

        let expired = now_micros() - 1;
        repo.issue_one_time_token(2, verify, "old", expired, email("k4", 2, VERIFICATION))
            .await
            .unwrap();
        assert_eq!(repo.peek_one_time_token("old", verify).await.unwrap(), None);
        assert_eq!(repo.consume_one_time_token("old", verify).await.unwrap(), None);
        assert_eq!(
            due_keys(repo).await,
            ["k1", "k2", "k3", "k4"],
            "each token's email is queued"
        );
    })
    .await;
}

#[tokio::test]
async fn the_outbox_hands_out_due_emails_oldest_first_and_retries_later() {
    on_both(|repo| async move {
        let repo = &*repo;
        for (key, user) in [("k1", 1), ("k2", 2), ("k3", 3)] {
            repo.enqueue_email(email(key, user, VERIFICATION)).await.unwrap();
        }
        assert!(
            repo.enqueue_email(email("k1", 9, VERIFICATION)).await.is_err(),
            "keys are unique"
        );

        let due = repo.due_emails(2).await.unwrap();
        assert_eq!(due.len(), 2);
        assert!(due[0].id < due[1].id);
        let first = &due[0];
        assert_eq!(
            (
                &*first.idempotency_key,
                first.kind,
                &*first.recipient,
                &*first.name,
                &*first.token,
                first.attempts
            ),
            ("k1", VERIFICATION, "user1@x.test", "Ada", "token-k1", 0)
        );

        repo.retry_email(first.id, now_micros() + 10 * MINUTE)
            .await
            .unwrap();
        repo.retry_email(due[1].id, now_micros() - 1).await.unwrap();
        let due = repo.due_emails(10).await.unwrap();
        let keys: Vec<_> = due.iter().map(|e| (&*e.idempotency_key, e.attempts)).collect();
        assert_eq!(keys, [("k2", 1), ("k3", 0)], "k1 waits for its retry");

        repo.remove_email(due[1].id).await.unwrap();
        assert_eq!(due_keys(repo).await, ["k2"]);
    })
    .await;
}

#[tokio::test]
async fn the_janitor_deletes_expired_rows_a_batch_at_a_time() {
    on_both(|repo| async move {
        let repo = &*repo;
        let (now, later) = (now_micros(), now_micros() + 60 * MINUTE);
        for i in 0..3 {
            login(repo, &format!("old{i}"), &format!("t-old{i}"), 1, now - MINUTE).await;
        }
        login(repo, "live", "t-live", 1, later).await;
        let refresh_tokens = Expiring::RefreshTokens;
        assert_eq!(repo.delete_expired(refresh_tokens, now, 2).await.unwrap(), 2);
        assert_eq!(repo.delete_expired(refresh_tokens, now, 10).await.unwrap(), 1);
        assert_eq!(repo.delete_expired(refresh_tokens, now, 10).await.unwrap(), 0);
        assert_eq!(repo.delete_expired(Expiring::Sessions, now, 10).await.unwrap(), 3);
        assert_eq!(repo.delete_expired(Expiring::Sessions, now, 10).await.unwrap(), 0);
        assert_eq!(rotate(repo, "t-live", "t-live2", "live").await, Rotation::Rotated);

        for user in 1..=3 {
            let hash = format!("old{user}");
            let email = email(&format!("k{user}"), user, VERIFICATION);
            repo.issue_one_time_token(user, Purpose::VerifyEmail, &hash, now - MINUTE, email)
                .await
                .unwrap();
        }
        repo.issue_one_time_token(
            4,
            Purpose::VerifyEmail,
            "live",
            later,
            email("k4", 4, VERIFICATION),
        )
        .await
        .unwrap();
        assert_eq!(
            repo.delete_expired(Expiring::OneTimeTokens, now, 10)
                .await
                .unwrap(),
            3
        );
        let live = repo.consume_one_time_token("live", Purpose::VerifyEmail).await;
        assert_eq!(live.unwrap(), Some(4));
    })
    .await;
}

#[tokio::test]
async fn concurrent_janitors_delete_disjoint_rows() {
    on_both(|repo| async move {
        let now = now_micros();
        for i in 0..20 {
            login(&*repo, &format!("s{i}"), &format!("t{i}"), 1, now - MINUTE).await;
        }
        let sweeps = (0..4).map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                repo.delete_expired(Expiring::RefreshTokens, now, 5)
                    .await
                    .unwrap()
            })
        });
        let mut deleted = 0;
        for sweep in sweeps {
            deleted += sweep.await.unwrap();
        }
        assert_eq!(deleted, 20, "every sweep found a full batch of its own");
        assert_eq!(
            repo.delete_expired(Expiring::RefreshTokens, now, 5)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_a_users_data_keeps_only_the_listed_kinds_of_queued_email() {
    on_both(|repo| async move {
        let repo = &*repo;
        let later = now_micros() + 60 * MINUTE;
        login(repo, "s1", "t1", 1, later).await;
        login(repo, "s2", "t2", 2, later).await;
        repo.issue_one_time_token(
            1,
            Purpose::ResetPassword,
            "h1",
            later,
            email("reset", 1, VERIFICATION),
        )
        .await
        .unwrap();
        repo.enqueue_email(email("goodbye", 1, ACCOUNT_DELETED))
            .await
            .unwrap();
        repo.enqueue_email(email("other", 2, VERIFICATION)).await.unwrap();

        repo.delete_user_data(1, &[ACCOUNT_DELETED]).await.unwrap();
        assert_eq!(
            rotate(repo, "t1", "t1b", "s1").await,
            Rotation::Rejected,
            "the token is gone"
        );
        let token = repo.peek_one_time_token("h1", Purpose::ResetPassword).await;
        assert_eq!(token.unwrap(), None);
        assert_eq!(due_keys(repo).await, ["goodbye", "other"]);
        assert_eq!(
            rotate(repo, "t2", "t2b", "s2").await,
            Rotation::Rotated,
            "other users keep theirs"
        );
    })
    .await;
}
