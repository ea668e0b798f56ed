//! Sessions and their refresh tokens: rotation, reuse, revocation.
use super::{MINUTE, login, on_both, rotate};
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
            }
        }
        assert_eq!(rotated, 1);
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
