//! Sessions and their refresh tokens: rotation, reuse, revocation.
use super::{ISSUED_AT, MINUTE, login, on_both, rotate, rotate_within};
use astro_platform::time::now_micros;
use auth_service::repo::Rotation;
use std::sync::Arc;

#[tokio::test]
async fn a_refresh_token_rotates_once_and_its_reuse_names_the_session() {
    on_both(|repo| async move {
        let repo = &*repo;
        login(repo, "s1", "t1", 1, now_micros() + 60 * MINUTE).await;
        assert_eq!(rotate(repo, "t1", "t2", "s1").await, Rotation::Rotated);
        let reused = Rotation::Reused {
            session_id: "s1".into(),
        };
        assert_eq!(rotate(repo, "t1", "t3", "s1").await, reused);
        assert_eq!(
            rotate(repo, "t2", "t4", "s1").await,
            Rotation::Rotated,
            "the new token was stored"
        );
        assert_eq!(
            rotate(repo, "t3", "t5", "s1").await,
            Rotation::Rejected,
            "a refused rotation stores nothing"
        );
        assert_eq!(rotate(repo, "unknown", "t6", "s1").await, Rotation::Rejected);
    })
    .await;
}

#[tokio::test]
async fn expired_tokens_are_rejected_and_revoked_sessions_tokens_count_as_used() {
    on_both(|repo| async move {
        let repo = &*repo;
        login(repo, "old", "t-old", 1, now_micros() - MINUTE).await;
        assert_eq!(rotate(repo, "t-old", "t-next", "old").await, Rotation::Rejected);
        assert_eq!(rotate(repo, "t-next", "t-x", "old").await, Rotation::Rejected);

        login(repo, "s1", "t1", 1, now_micros() + 60 * MINUTE).await;
        login(repo, "s2", "t2", 1, now_micros() + 60 * MINUTE).await;
        repo.revoke_session("s1").await.unwrap();
        let reused = Rotation::Reused {
            session_id: "s1".into(),
        };
        assert_eq!(rotate(repo, "t1", "t1b", "s1").await, reused);
        assert_eq!(
            rotate(repo, "t2", "t2b", "s2").await,
            Rotation::Rotated,
            "other sessions live on"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_presentations_of_one_token_rotate_it_exactly_once() {
    on_both(|repo| async move {
        login(&*repo, "s1", "t1", 1, now_micros() + 60 * MINUTE).await;
        let presentations = (0..4).map(|i| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { rotate(&*repo, "t1", &format!("next-{i}"), "s1").await })
        });
        let mut rotated = 0;
        for presentation in presentations {
            match presentation.await.unwrap() {
                Rotation::Rotated => rotated += 1,
                Rotation::Reused { session_id } => assert_eq!(session_id, "s1"),
                Rotation::Rejected => panic!("a concurrent presentation was rejected"),
                Rotation::Grace { .. } => panic!("no grace was asked for"),
            }
        }
        assert_eq!(rotated, 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_presentations_within_the_grace_share_one_successor() {
    on_both(|repo| async move {
        login(&*repo, "s1", "t1", 1, now_micros() + 60 * MINUTE).await;
        let presentations = (0..6).map(|i| {
            let repo = Arc::clone(&repo);
            tokio::spawn(
                async move { rotate_within(&*repo, "t1", &format!("next-{i}"), "s1", 60_000_000).await },
            )
        });
        let mut rotated = Vec::new();
        let mut successors = Vec::new();
        for presentation in presentations {
            match presentation.await.unwrap() {
                Rotation::Rotated => rotated.push(()),
                Rotation::Grace { successor } => successors.push(successor.jti),
                other => panic!("within the grace: {other:?}"),
            }
        }
        assert_eq!(rotated.len(), 1);
        successors.dedup();
        assert_eq!(successors.len(), 1, "one successor for all: {successors:?}");
    })
    .await;
}

#[tokio::test]
async fn revoking_a_users_sessions_spares_the_kept_one_and_other_users() {
    on_both(|repo| async move {
        let repo = &*repo;
        let later = now_micros() + 60 * MINUTE;
        for (session, jti, user) in [("s1", "t1", 1), ("s2", "t2", 1), ("s3", "t3", 1), ("s4", "t4", 2)] {
            login(repo, session, jti, user, later).await;
        }
        let mut revoked = repo.revoke_user_sessions(1, Some("s2")).await.unwrap();
        revoked.sort();
        assert_eq!(revoked, ["s1", "s3"]);
        assert!(matches!(
            rotate(repo, "t1", "t1b", "s1").await,
            Rotation::Reused { .. }
        ));
        assert_eq!(rotate(repo, "t2", "t2b", "s2").await, Rotation::Rotated);
        assert_eq!(rotate(repo, "t4", "t4b", "s4").await, Rotation::Rotated);
        assert!(repo.revoke_user_sessions(1, Some("s2")).await.unwrap().is_empty());
        assert_eq!(repo.revoke_user_sessions(1, None).await.unwrap(), ["s2"]);
        assert!(matches!(
            rotate(repo, "t2b", "t2c", "s2").await,
            Rotation::Reused { .. }
        ));
    })
    .await;
}

/// Within the grace, the token rotated last gets its successor again (several tabs, or a lost
/// answer); older tokens, and any token of a revoked session, are reuse all the same.
#[tokio::test]
async fn the_token_rotated_last_gets_its_successor_again_within_the_grace() {
    on_both(|repo| async move {
        let repo = &*repo;
        let minute = 60 * 1_000_000;
        login(repo, "s1", "t1", 1, now_micros() + 60 * MINUTE).await;
        assert_eq!(
            rotate_within(repo, "t1", "t2", "s1", minute).await,
            Rotation::Rotated
        );
        let again = rotate_within(repo, "t1", "t2-other", "s1", minute).await;
        let Rotation::Grace { successor } = again else {
            panic!("within the grace: {again:?}")
        };
        assert_eq!((successor.jti.as_str(), successor.iat), ("t2", ISSUED_AT));
        assert!(successor.exp > ISSUED_AT, "{successor:?}");
        // The answer stored nothing: t2 is still the live token, and rotates once.
        assert_eq!(
            rotate_within(repo, "t2", "t3", "s1", minute).await,
            Rotation::Rotated
        );
        // t1 is now two generations behind: reuse, whatever the grace.
        let reused = Rotation::Reused {
            session_id: "s1".into(),
        };
        assert_eq!(rotate_within(repo, "t1", "t4", "s1", minute).await, reused);
        // A revoked session has no grace.
        login(repo, "s2", "u1", 1, now_micros() + 60 * MINUTE).await;
        assert_eq!(
            rotate_within(repo, "u1", "u2", "s2", minute).await,
            Rotation::Rotated
        );
        repo.revoke_session("s2").await.unwrap();
        assert!(matches!(
            rotate_within(repo, "u1", "u3", "s2", minute).await,
            Rotation::Reused { .. }
        ));
    })
    .await;
}
