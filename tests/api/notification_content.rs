//! The four emails of one account's life, delivered over SMTP to a real server: envelope,
//! headers, both MIME parts, the one-time links, and a hostile display name kept inert in HTML.
use crate::checks::{assert_message, json_body};
use crate::helpers::{OTHER_PASSWORD, TestUser, Tokens};
use crate::smtp::{FROM_EMAIL, smtp_test};
use serde_json::json;
use testkit::mail::{RESET_LINK, VERIFY_LINK};
use testkit::smtp::{Received, Recipients};

const HOSTILE_NAME: &str = "Ada <script>alert(1)</script>";

/// Checks what every email must carry, and returns its parsed form.
fn assert_well_formed(received: &Received, to: &str, subject_says: &str) -> testkit::mail::Email {
    assert_eq!(received.from, FROM_EMAIL, "envelope sender");
    assert_eq!(received.to, [to], "envelope recipients");
    assert!(received.header("From").contains(FROM_EMAIL), "{}", received.raw());
    assert_eq!(received.email().to, to);
    let message_id = received.header("Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@astro.test>"),
        "Message-ID {message_id}"
    );
    let date = received.header("Date");
    chrono::DateTime::parse_from_rfc2822(&date).unwrap_or_else(|e| panic!("Date {date}: {e}"));

    let mail = mailparse::parse_mail(&received.data).expect("a parsable message");
    assert_eq!(mail.ctype.mimetype, "multipart/alternative", "{}", received.raw());
    let parts: Vec<&str> = mail.subparts.iter().map(|p| p.ctype.mimetype.as_str()).collect();
    assert_eq!(parts, ["text/plain", "text/html"]);

    let email = received.email();
    assert!(
        email.subject.contains(subject_says),
        "subject {:?}",
        email.subject
    );
    assert!(
        email.text.contains(HOSTILE_NAME),
        "the text part greets by name: {}",
        email.text
    );
    assert!(
        email.html.contains("Ada &lt;script&gt;") && !email.html.contains("<script"),
        "the name is escaped in HTML: {}",
        email.html
    );
    email
}

smtp_test!(
    an_accounts_emails_arrive_over_smtp_well_formed,
    |app, smtp| async move {
        let smtp = smtp.start(Recipients::Accept);
        let user = TestUser::random();
        let mut registration = user.registration();
        registration["first_name"] = json!(HOSTILE_NAME);
        json_body(app.post_json("/api/auth/register", &registration).await, 200).await;

        let verification = smtp.wait_for(1).await.remove(0);
        let email = assert_well_formed(&verification, &user.email, "Verify your email");
        let token = email.token(VERIFY_LINK);
        assert_message(app.verify_email(&token).await, "Email verified successfully").await;

        json_body(app.forgot_password(&user.email).await, 200).await;
        let reset = smtp.wait_for(2).await.remove(1);
        let email = assert_well_formed(&reset, &user.email, "Reset your");
        assert!(!email.text.contains(VERIFY_LINK), "{}", email.text);
        email.token(RESET_LINK);

        let tokens = app.login_ok(&user).await;
        let body = json!({"current_password": user.password, "new_password": OTHER_PASSWORD});
        let changed = app
            .post("/api/user/change-password")
            .bearer_auth(&tokens.access)
            .json(&body);
        assert_message(
            changed.send().await.expect("changing the password"),
            "Password changed successfully",
        )
        .await;
        let changed = smtp.wait_for(3).await.remove(2);
        assert_well_formed(&changed, &user.email, "password was changed");

        let tokens: Tokens = app.login_ok(&user.clone().with_password(OTHER_PASSWORD)).await;
        let deleted = app
            .client
            .delete(app.url("/api/user/account"))
            .bearer_auth(&tokens.access);
        assert_message(
            deleted.send().await.expect("deleting the account"),
            "Account deleted successfully",
        )
        .await;
        let deleted = smtp.wait_for(4).await.remove(3);
        assert_well_formed(&deleted, &user.email, "account was deleted");

        let mut ids: Vec<String> = smtp.received().iter().map(|r| r.header("Message-ID")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 4, "each email has its own Message-ID: {ids:?}");
    }
);
