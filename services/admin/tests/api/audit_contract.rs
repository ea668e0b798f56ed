//! One contract, both databases: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
use crate::helpers;
use admin_service::audit::{self, AuditRepo, EventFilter};
use astro_proto::admin::v1::AuditEvent;
use std::sync::Arc;

/// Runs `contract` against a fresh repository on each database.
async fn on_both<F, Fut>(contract: F)
where
    F: Fn(Arc<dyn AuditRepo>) -> Fut,
    Fut: Future<Output = ()>,
{
    helpers::on_both(&admin_service::MIGRATIONS, |db| contract(audit::for_db(&db))).await;
}

fn event(action: &str, actor_id: Option<i64>, target_id: Option<i64>) -> AuditEvent {
    AuditEvent {
        action: action.into(),
        actor_id,
        target_id,
        ip: format!("10.0.0.{}", actor_id.unwrap_or(0)),
        user_agent: "agent".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        details: r#"{"field":"role"}"#.into(),
    }
}

fn filter(limit: i64) -> EventFilter {
    EventFilter {
        limit,
        ..EventFilter::default()
    }
}

/// The `at` of each listed event, and the total.
async fn times(repo: &dyn AuditRepo, filter: &EventFilter) -> (Vec<i64>, u64) {
    let (events, total) = repo.list(filter).await.unwrap();
    (events.iter().map(|e| e.at).collect(), total)
}

#[tokio::test]
async fn events_come_back_as_recorded_newest_first_a_page_at_a_time() {
    on_both(|repo| async move {
        let repo = &*repo;
        let mut ids = Vec::new();
        // Recorded out of time order: the listing follows `at`, then the id.
        for at in [300, 100, 500, 200, 400, 500] {
            ids.push(repo.record(at, &event("login", Some(1), None)).await.unwrap());
        }
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids grow: {ids:?}");

        let (events, total) = repo.list(&filter(2)).await.unwrap();
        assert_eq!(total, 6);
        assert_eq!(
            events.iter().map(|e| (e.id, e.at)).collect::<Vec<_>>(),
            [(ids[5], 500), (ids[2], 500)]
        );
        assert_eq!(events[0].event, event("login", Some(1), None));
        let page = EventFilter {
            offset: 4,
            ..filter(10)
        };
        assert_eq!(times(repo, &page).await, (vec![200, 100], 6));
        let past_the_end = EventFilter {
            offset: 6,
            ..filter(10)
        };
        assert_eq!(times(repo, &past_the_end).await, (vec![], 6));
    })
    .await;
}

#[tokio::test]
async fn filters_narrow_by_user_action_and_inclusive_time_bounds() {
    on_both(|repo| async move {
        let repo = &*repo;
        for (at, action, actor, target) in [
            (100, "login", Some(1), None),
            (200, "role_changed", Some(2), Some(1)),
            (300, "login", Some(2), None),
            (400, "user_deleted", Some(3), Some(4)),
        ] {
            repo.record(at, &event(action, actor, target)).await.unwrap();
        }
        let user = |id| EventFilter {
            user_id: Some(id),
            ..filter(10)
        };
        assert_eq!(
            times(repo, &user(1)).await,
            (vec![200, 100], 2),
            "as actor or target"
        );
        assert_eq!(times(repo, &user(9)).await, (vec![], 0));
        let logins = EventFilter {
            action: Some("login".into()),
            ..filter(10)
        };
        assert_eq!(times(repo, &logins).await, (vec![300, 100], 2));
        let window = EventFilter {
            since: Some(200),
            until: Some(300),
            ..filter(10)
        };
        assert_eq!(times(repo, &window).await, (vec![300, 200], 2));
        let all = EventFilter {
            user_id: Some(2),
            action: Some("login".into()),
            since: Some(300),
            until: Some(300),
            ..filter(10)
        };
        assert_eq!(times(repo, &all).await, (vec![300], 1));
        let second_page = EventFilter {
            limit: 1,
            offset: 1,
            ..user(2)
        };
        assert_eq!(times(repo, &second_page).await, (vec![200], 2));
    })
    .await;
}

#[tokio::test]
async fn forgetting_a_user_anonymises_their_events_and_nothing_else() {
    on_both(|repo| async move {
        let repo = &*repo;
        let acted = repo.record(100, &event("login", Some(1), Some(2))).await.unwrap();
        let targeted = repo
            .record(200, &event("role_changed", Some(3), Some(1)))
            .await
            .unwrap();
        let unrelated = repo
            .record(300, &event("user_deleted", Some(3), Some(4)))
            .await
            .unwrap();

        assert_eq!(repo.forget_user(1).await.unwrap(), 2);
        let (events, _) = repo.list(&filter(10)).await.unwrap();
        let by_id = |id| events.iter().find(|e| e.id == id).unwrap().event.clone();
        let as_actor = AuditEvent {
            actor_id: None,
            ip: String::new(),
            user_agent: String::new(),
            details: "{}".into(),
            ..event("login", Some(1), Some(2))
        };
        assert_eq!(by_id(acted), as_actor);
        let as_target = AuditEvent {
            target_id: None,
            details: "{}".into(),
            ..event("role_changed", Some(3), Some(1))
        };
        assert_eq!(by_id(targeted), as_target, "the actor's address stays");
        assert_eq!(by_id(unrelated), event("user_deleted", Some(3), Some(4)));

        let user = EventFilter {
            user_id: Some(1),
            ..filter(10)
        };
        assert_eq!(times(repo, &user).await, (vec![], 0));
        assert_eq!(repo.forget_user(1).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn the_janitor_deletes_the_oldest_events_before_the_cutoff_a_batch_at_a_time() {
    on_both(|repo| async move {
        let repo = &*repo;
        for at in [30, 10, 50, 20, 40] {
            repo.record(at, &event("login", Some(1), None)).await.unwrap();
        }
        assert_eq!(repo.delete_before(35, 2).await.unwrap(), 2);
        assert_eq!(
            times(repo, &filter(10)).await,
            (vec![50, 40, 30], 3),
            "the oldest went first"
        );
        assert_eq!(repo.delete_before(35, 10).await.unwrap(), 1);
        assert_eq!(repo.delete_before(35, 10).await.unwrap(), 0);
        assert_eq!(times(repo, &filter(10)).await, (vec![50, 40], 2));
    })
    .await;
}

#[tokio::test]
async fn concurrent_janitors_delete_disjoint_rows() {
    on_both(|repo| async move {
        for at in 1..=20 {
            repo.record(at, &event("login", Some(1), None)).await.unwrap();
        }
        let sweeps = (0..4).map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { repo.delete_before(100, 5).await.unwrap() })
        });
        let mut deleted = 0;
        for sweep in sweeps {
            deleted += sweep.await.unwrap();
        }
        assert_eq!(deleted, 20, "every sweep found a full batch of its own");
        assert_eq!(times(repo.as_ref(), &filter(10)).await, (vec![], 0));
    })
    .await;
}
