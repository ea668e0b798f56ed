//! The SMTP transport against a minimal in-test SMTP server (plain, no TLS).
use astro_common::config::{SmtpSettings, SmtpTls};
use lettre::{Message, message::MultiPart};
use notification_service::mailer::{Mailer, SmtpMailer};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::mpsc,
};

/// Accepts connections and answers SMTP; refuses `RCPT` to `refuse@…` with a permanent 550.
/// Sends each received `DATA` payload to the returned channel.
async fn fake_smtp() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let (mut data, mut in_data) = (String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            data.push_str(&line);
                            data.push('\n');
                            continue;
                        }
                        in_data = false;
                        let _ = tx.send(std::mem::take(&mut data));
                        b"250 queued\r\n"
                    } else {
                        match line.get(..4).unwrap_or_default().to_ascii_uppercase().as_str() {
                            "EHLO" | "HELO" => b"250 fake\r\n",
                            "RCPT" if line.contains("refuse@") => b"550 no such user\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => b"221 bye\r\n",
                            _ => b"250 ok\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, rx)
}

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

#[tokio::test]
async fn delivers_over_smtp_and_reports_refusals_as_permanent() {
    let (port, mut received) = fake_smtp().await;
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        user: None,
        password: None,
    };
    let mailer = SmtpMailer::new(&settings).unwrap();
    mailer.send(message("ann@example.com")).await.unwrap();
    let data = received.recv().await.unwrap();
    assert!(
        data.contains("text body") && data.contains("<p>html body</p>"),
        "{data}"
    );

    let err = mailer.send(message("refuse@example.com")).await.unwrap_err();
    assert!(err.permanent, "{err}");
}
