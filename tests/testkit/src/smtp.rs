//! A real SMTP server on loopback (RFC 5321, plain text), to deliver to when a test sets
//! `SMTP_HOST`. Its port is reserved before the code under test starts and refuses connections
//! until the test starts the server on it, so an outage is one line.
//!
//! Written here rather than taken from `mailin-embedded`: that crate compiles only with its
//! TLS module, whose default rustls brings aws-lc-rs next to the ring provider the stack uses,
//! and its server cannot be stopped (it blocks a thread pool on `accept` for ever).
use crate::mail::Email;
use std::{io, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpSocket, TcpStream},
    sync::watch,
};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Long enough for retries with `MAIL_RETRY_BASE_MS=100` after an outage of a few seconds.
const MAIL_DEADLINE: Duration = Duration::from_secs(30);
const GREETING: &[u8] = b"220 astro.test ESMTP ready\r\n";
const EHLO_REPLY: &[u8] = b"250-astro.test greets you\r\n250 8BITMIME\r\n";

/// How the server answers `RCPT TO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipients {
    Accept,
    /// 550 to every recipient: a permanent failure, as for an unknown mailbox.
    Refuse,
}

/// A loopback port bound but not listening: connections to it are refused, and nothing else
/// can take it before [`SmtpPort::start`].
pub struct SmtpPort {
    socket: TcpSocket,
    addr: SocketAddr,
}

impl SmtpPort {
    /// Binds a free loopback port without listening on it.
    pub fn reserve() -> SmtpPort {
        let socket = TcpSocket::new_v4().expect("creating a socket");
        socket
            .bind("127.0.0.1:0".parse().expect("an address"))
            .expect("binding a loopback port");
        let addr = socket.local_addr().expect("the bound address");
        SmtpPort { socket, addr }
    }

    /// The port to configure as `SMTP_PORT`.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Starts listening and serving SMTP on the reserved port.
    pub fn start(self, recipients: Recipients) -> SmtpServer {
        let listener = self.socket.listen(64).expect("listening on the reserved port");
        let (received, _) = watch::channel(Vec::new());
        let received = Arc::new(received);
        let stop = CancellationToken::new();
        tokio::spawn(accept(listener, recipients, Arc::clone(&received), stop.clone()));
        SmtpServer {
            received,
            _stop: stop.drop_guard(),
        }
    }
}

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope: `MAIL FROM` and `RCPT TO` paths.
    pub from: String,
    pub to: Vec<String>,
    /// The message after dot-unstuffing, CRLF line ends kept.
    pub data: Vec<u8>,
}

impl Received {
    /// The message parsed (To, Subject, text and HTML parts).
    pub fn email(&self) -> Email {
        Email::parse(&self.data).unwrap_or_else(|| panic!("unparsable message: {}", self.raw()))
    }

    /// The message as text, for failure messages and substring checks.
    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The value of the top-level header `name`, which must be there once.
    pub fn header(&self, name: &str) -> String {
        let mail = mailparse::parse_mail(&self.data).expect("a parsable message");
        let values: Vec<String> = mail
            .headers
            .iter()
            .filter(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .collect();
        assert_eq!(values.len(), 1, "{name} headers in {}", self.raw());
        values[0].clone()
    }
}

/// A running SMTP server; it stops when dropped.
pub struct SmtpServer {
    received: Arc<watch::Sender<Vec<Received>>>,
    _stop: DropGuard,
}

impl SmtpServer {
    /// Every message so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received.borrow().clone()
    }

    /// Waits until at least `count` messages have arrived and returns them, oldest first.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let mut updates = self.received.subscribe();
        let arrived = tokio::time::timeout(MAIL_DEADLINE, updates.wait_for(|r| r.len() >= count)).await;
        assert!(
            arrived.is_ok(),
            "{} of {count} messages arrived within {MAIL_DEADLINE:?}",
            self.received.borrow().len()
        );
        self.received()
    }
}

async fn accept(
    listener: TcpListener,
    recipients: Recipients,
    received: Arc<watch::Sender<Vec<Received>>>,
    stop: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (received, stop) = (Arc::clone(&received), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                _ = session(stream, recipients, &received) => {}
            }
        });
    }
}

/// The envelope of the transaction in progress.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

/// One SMTP session, until `QUIT` or the client hangs up.
async fn session(
    stream: TcpStream,
    recipients: Recipients,
    received: &watch::Sender<Vec<Received>>,
) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(GREETING).await?;
    let (mut greeted, mut tx) = (false, Transaction::default());
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, argument) = text.split_once(' ').unwrap_or((text, ""));
        let reply: &[u8] = match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" => {
                (greeted, tx) = (true, Transaction::default());
                if verb.eq_ignore_ascii_case("EHLO") {
                    EHLO_REPLY
                } else {
                    b"250 astro.test\r\n"
                }
            }
            "MAIL" if !greeted => b"503 5.5.1 Say EHLO first\r\n",
            "MAIL" if tx.from.is_some() => b"503 5.5.1 Nested MAIL command\r\n",
            "MAIL" => match path(argument, "FROM:") {
                Some(from) => {
                    tx.from = Some(from);
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" if tx.from.is_none() => b"503 5.5.1 Need MAIL first\r\n",
            "RCPT" => match (path(argument, "TO:"), recipients) {
                (None, _) => b"501 5.5.4 Syntax: RCPT TO:<address>\r\n",
                (Some(_), Recipients::Refuse) => b"550 5.1.1 Mailbox unavailable\r\n",
                (Some(to), Recipients::Accept) => {
                    tx.to.push(to);
                    b"250 2.1.5 OK\r\n"
                }
            },
            "DATA" if tx.to.is_empty() => b"503 5.5.1 Need RCPT first\r\n",
            "DATA" => {
                answer(&mut write, b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(data) = message(&mut read).await? else {
                    return Ok(());
                };
                let tx = std::mem::take(&mut tx);
                let from = tx.from.unwrap_or_default();
                received.send_modify(|all| {
                    all.push(Received {
                        from,
                        to: tx.to,
                        data,
                    })
                });
                b"250 2.0.0 Queued\r\n"
            }
            "RSET" => {
                tx = Transaction::default();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => return answer(&mut write, b"221 2.0.0 Bye\r\n").await,
            _ => b"500 5.5.2 Command not recognized\r\n",
        };
        answer(&mut write, reply).await?;
    }
}

async fn answer(write: &mut (impl AsyncWrite + Unpin), reply: &[u8]) -> io::Result<()> {
    write.write_all(reply).await?;
    write.flush().await
}

/// The message of a `DATA` command up to the lone `.` line, dot-unstuffed; `None` when the
/// client hangs up first.
async fn message(read: &mut (impl AsyncBufReadExt + Unpin)) -> io::Result<Option<Vec<u8>>> {
    let (mut data, mut line) = (Vec::new(), Vec::new());
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" {
            return Ok(Some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

/// The address in `FROM:<a@b.c> PARAMS` (after `prefix`, any case).
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}
