//! Outages, end to end: registrations succeed while mail cannot go out (the SMTP server, or the
//! notification service itself, is down), and once it can, each email arrives exactly once.
use crate::notification_support::{
    IN_OUTBOX, QUEUED, RELAY_RETRYING, RETRYING, UNSETTLED, assert_one_verification_each, assert_refused,
    assert_unavailable,
};
use crate::smtp::smtp_test;
use astro_auth::Service;
use std::net::{Ipv4Addr, SocketAddr};
use testkit::smtp::Recipients;

const USERS: usize = 20;

smtp_test!(
    mail_held_while_smtp_is_down_goes_out_once_it_is_back,
    |app, smtp| async move {
        assert_refused(SocketAddr::from((Ipv4Addr::LOCALHOST, smtp.port()))).await;
        let users = app.register_many(USERS).await;
        // Every email reached the queue and met the refused port at least once.
        app.wait_for_count(RETRYING, USERS as i64).await;

        let smtp = smtp.start(Recipients::Accept);
        smtp.wait_for(USERS).await;
        // Nothing left that could still go out, so the count below is final.
        app.wait_for_count(UNSETTLED, 0).await;
        assert_one_verification_each(&smtp.received(), &users);
    }
);

smtp_test!(
    mail_survives_the_notification_service_being_down,
    |app, smtp| async move {
        let mut app = app;
        let smtp = smtp.start(Recipients::Accept);
        let stack = app.stack_mut();
        stack
            .stop_service(Service::Notification)
            .await
            .expect("stopping notification");
        assert_unavailable(stack.channel(Service::Notification)).await;

        let users = app.register_many(USERS).await;
        // auth's outbox holds every email, and its relay has failed to hand each over.
        app.wait_for_count(RELAY_RETRYING, USERS as i64).await;
        assert_eq!(app.count(QUEUED).await, 0);
        assert!(smtp.received().is_empty());

        let stack = app.stack_mut();
        stack
            .restart_service(Service::Notification)
            .await
            .expect("restarting notification");
        smtp.wait_for(USERS).await;
        app.wait_for_count(IN_OUTBOX, 0).await;
        app.wait_for_count(UNSETTLED, 0).await;
        assert_one_verification_each(&smtp.received(), &users);
    }
);
