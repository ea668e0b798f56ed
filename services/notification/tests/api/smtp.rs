//! The SMTP transport against a real SMTP server on loopback (plain, no TLS).
use astro_platform::config::{SmtpSettings, SmtpTls};
use lettre::{Message, message::MultiPart};
use notification_service::mailer::{Mailer, SmtpMailer};
use testkit::smtp::{Recipients, SmtpPort, SmtpServer};

fn message(to: &str) -> Message {
    Message::builder()
        .from("noreply@astro.test".parse().unwrap())
        .to(to.parse().unwrap())
        .subject("Hello")
        .multipart(MultiPart::alternative_plain_html(
            "text body".to_owned(),
            "<p>html body</p>".to_owned(),
        ))
        .unwrap()
}

/// A mailer for a server started on a fresh port, answering `RCPT TO` as `recipients` says.
fn mailer_and_server(recipients: Recipients) -> (SmtpMailer, SmtpServer) {
    let port = SmtpPort::reserve();
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port: port.port(),
        tls: SmtpTls::None,
        user: None,
        password: None,
    };
    let mailer = SmtpMailer::new(&settings).unwrap();
    (mailer, port.start(recipients))
}

#[tokio::test]
async fn delivers_over_smtp_and_reports_refusals_as_permanent() {
    let (mailer, server) = mailer_and_server(Recipients::Accept);
    mailer.send(message("ann@example.com")).await.unwrap();
    let data = server.wait_for(1).await[0].raw();
    assert!(
        data.contains("text body") && data.contains("<p>html body</p>"),
        "{data}"
    );

    // A server that refuses every recipient, as for an unknown mailbox.
    let (mailer, _server) = mailer_and_server(Recipients::Refuse);
    let err = mailer.send(message("refuse@example.com")).await.unwrap_err();
    assert!(err.permanent, "{err}");
}
