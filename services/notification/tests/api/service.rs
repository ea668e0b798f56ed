//! The running service, spoken to over gRPC.
use crate::helpers::TestApp;
use astro_proto::notification::v1::{EmailKind, PurgeRecipientRequest, QueueStatsRequest, SendEmailRequest};
use tonic::Code;

fn request(key: &str, kind: EmailKind, to: &str, name: &str, token: &str) -> SendEmailRequest {
    SendEmailRequest {
        idempotency_key: key.into(),
        kind: kind.into(),
        to: to.into(),
        name: name.into(),
        token: token.into(),
    }
}

#[tokio::test]
async fn a_verification_email_is_delivered_as_an_eml_file_with_both_parts() {
    let mut app = TestApp::spawn().await;
    let token = "q8sF-x_9Zk2Lm0";
    let req = request(
        "verify:1",
        EmailKind::Verification,
        "Ann@Example.com",
        "Ann <b>",
        token,
    );
    assert!(app.client.send_email(req).await.unwrap().into_inner().queued);

    let mails = app.mail.wait_for_any(1).await;
    let parsed = mailparse::parse_mail(mails[0].raw.as_bytes()).unwrap();
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key_ref() == name)
            .map(|h| h.get_value())
    };
    assert_eq!(header("To").as_deref(), Some("ann@example.com"));
    assert!(header("From").unwrap().contains("noreply@astro-auth.local"));
    assert!(header("Message-ID").is_some() && header("Date").is_some());
    let link = format!("http://front.test/auth/verify-email?token={token}");
    let part = |mime: &str| {
        let part = parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == mime)
            .expect(mime);
        part.get_body().unwrap()
    };
    let (text, html) = (part("text/plain"), part("text/html"));
    assert!(text.contains(&link) && html.contains(&link), "{text}\n{html}");
    assert!(html.contains("Ann &lt;b&gt;") && text.contains("Hi Ann <b>,"));

    let stats = app.settled_stats().await;
    assert_eq!((stats.pending, stats.sent, stats.dead), (0, 1, 0));
    app.stop().await;
}

#[tokio::test]
async fn send_email_twice_with_one_key_queues_one_email() {
    let mut app = TestApp::spawn().await;
    let req = request(
        "reset:7",
        EmailKind::PasswordReset,
        "bo@example.com",
        "",
        "abc123",
    );
    assert!(
        app.client
            .send_email(req.clone())
            .await
            .unwrap()
            .into_inner()
            .queued
    );
    assert!(!app.client.send_email(req).await.unwrap().into_inner().queued);
    app.mail.wait_for_any(1).await;
    let stats = app
        .client
        .get_queue_stats(QueueStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.pending + stats.sent, 1);
    assert_eq!(app.mail.wait_for_any(1).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn unusable_requests_are_invalid_arguments() {
    let mut app = TestApp::spawn().await;
    let cases = [
        request("", EmailKind::Verification, "a@example.com", "", "t"),
        request("k", EmailKind::Unspecified, "a@example.com", "", "t"),
        request("k", EmailKind::Verification, "", "", "t"),
        request("k", EmailKind::Verification, "not-an-address", "", "t"),
        request("k", EmailKind::PasswordReset, "a@example.com", "", ""),
        request("k", EmailKind::PasswordReset, "a@example.com", "", "a&b<c>"),
    ];
    for case in cases {
        let status = app.client.send_email(case.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{case:?}: {status:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn purge_recipient_keeps_only_the_listed_kinds() {
    let mut app = TestApp::spawn().await;
    for (key, kind) in [("v", EmailKind::Verification), ("d", EmailKind::AccountDeleted)] {
        let req = request(key, kind, "cy@example.com", "Cy", "tok");
        app.client.send_email(req).await.unwrap();
    }
    let purge = PurgeRecipientRequest {
        to: "CY@example.com".into(),
        keep_kinds: vec![EmailKind::AccountDeleted.into()],
    };
    assert_eq!(
        app.client
            .purge_recipient(purge)
            .await
            .unwrap()
            .into_inner()
            .purged,
        1
    );
    let stats = app
        .client
        .get_queue_stats(QueueStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.pending + stats.sent + stats.dead, 1);
    app.stop().await;
}
