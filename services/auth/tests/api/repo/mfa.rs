//! Second factors: the conditional writes that make every code single use, on both databases.
use crate::helpers;
use auth_service::repo;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// How many of the concurrent attempts succeeded.
async fn winners(racers: Vec<JoinHandle<bool>>) -> usize {
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    won
}

#[tokio::test]
async fn a_time_step_and_a_recovery_code_are_used_once_even_concurrently() {
    helpers::on_both(&auth_service::MIGRATIONS, |db| async move {
        let mfa = repo::mfa_for_db(&db);
        assert!(mfa.put_pending_factor(7, "f1", "v1.sealed").await.unwrap());
        assert!(
            mfa.put_pending_factor(7, "f2", "v1.other").await.unwrap(),
            "replaces the pending one"
        );
        assert!(mfa.mfa_enabled(&[7]).await.unwrap().is_empty());
        assert!(
            !mfa.consume_step("f2", 5).await.unwrap(),
            "a pending factor accepts no login code"
        );
        let codes = ["h1".to_owned(), "h2".to_owned()];
        assert!(
            !mfa.activate_factor("f1", 10, &codes).await.unwrap(),
            "the replaced factor is gone"
        );
        assert!(mfa.activate_factor("f2", 10, &codes).await.unwrap());
        assert!(
            !mfa.activate_factor("f2", 11, &codes).await.unwrap(),
            "active already"
        );
        assert!(
            !mfa.put_pending_factor(7, "f3", "v1.x").await.unwrap(),
            "an active factor stays"
        );
        assert_eq!(mfa.mfa_enabled(&[7, 8]).await.unwrap(), [7]);

        assert!(
            !mfa.consume_step("f2", 10).await.unwrap(),
            "the activation's step is used"
        );
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let mfa = Arc::clone(&mfa);
                tokio::spawn(async move { mfa.consume_step("f2", 11).await.unwrap() })
            })
            .collect();
        assert_eq!(winners(racers).await, 1);
        assert!(!mfa.consume_step("f2", 9).await.unwrap(), "only forward");

        let racers: Vec<_> = (0..8)
            .map(|_| {
                let mfa = Arc::clone(&mfa);
                tokio::spawn(async move { mfa.consume_recovery_code(7, "h1").await.unwrap() })
            })
            .collect();
        assert_eq!(winners(racers).await, 1);
        assert!(
            !mfa.consume_recovery_code(8, "h2").await.unwrap(),
            "another user's code"
        );

        let expires = astro_platform::time::now_micros() + 60_000_000;
        mfa.create_challenge("c1", 7, expires).await.unwrap();
        for _ in 0..2 {
            mfa.challenge_failed("c1").await.unwrap();
        }
        assert_eq!(mfa.live_challenge("c1", 3).await.unwrap(), Some(7));
        mfa.challenge_failed("c1").await.unwrap();
        assert_eq!(
            mfa.live_challenge("c1", 3).await.unwrap(),
            None,
            "spent by wrong codes"
        );
        mfa.create_challenge("c2", 7, expires).await.unwrap();
        assert!(mfa.consume_challenge("c2", 3).await.unwrap());
        assert!(!mfa.consume_challenge("c2", 3).await.unwrap(), "single use");

        assert!(mfa.remove_mfa(7).await.unwrap());
        assert!(!mfa.remove_mfa(7).await.unwrap());
        assert!(mfa.factor(7).await.unwrap().is_none());
    })
    .await;
}
