//! The mail the notification service writes as `.eml` files under `MAIL_DIR` (the transport
//! when no `SMTP_HOST` is set), read back by recipient, and the links in it.
use crate::FRONTEND_URL;
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime},
};

/// The path of the verification link, after [`FRONTEND_URL`].
pub const VERIFY_LINK: &str = "/auth/verify-email?token=";
/// The path of the password reset link, after [`FRONTEND_URL`].
pub const RESET_LINK: &str = "/auth/reset-password?token=";

/// Mail goes through an outbox and a dispatcher that polls, so it takes a moment.
const MAIL_DEADLINE: Duration = Duration::from_secs(15);
const POLL_EVERY: Duration = Duration::from_millis(25);

/// One message, reduced to what tests check.
#[derive(Clone, Debug)]
pub struct Email {
    /// The bare lower-case address of `To`.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The whole message, for headers no field above carries.
    pub raw: String,
}

impl Email {
    /// The token of the `{FRONTEND_URL}{link}<token>` link, which both parts must carry.
    pub fn token(&self, link: &str) -> String {
        let prefix = format!("{FRONTEND_URL}{link}");
        let start = self
            .text
            .find(&prefix)
            .unwrap_or_else(|| panic!("no {prefix} in {self:?}"));
        let token: String = self.text[start + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(*c))
            .collect();
        assert!(
            token.len() >= 32,
            "token {token:?} is too short for 256 random bits"
        );
        assert!(
            self.html.contains(&format!("{prefix}{token}")),
            "the HTML part lacks the link"
        );
        token
    }

    /// A raw RFC 5322 message; `None` without `To` or `Subject`.
    pub fn parse(raw: &[u8]) -> Option<Email> {
        let mail = mailparse::parse_mail(raw).ok()?;
        let header = |name: &str| {
            mail.headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
        };
        let mut email = Email {
            to: address(&header("to")?),
            subject: header("subject")?,
            text: String::new(),
            html: String::new(),
            raw: String::from_utf8_lossy(raw).into_owned(),
        };
        collect_parts(&mail, &mut email);
        Some(email)
    }
}

/// The bare lower-case address of a `To` value such as `Name <a@b.c>`.
fn address(to: &str) -> String {
    let inner = match (to.find('<'), to.rfind('>')) {
        (Some(open), Some(close)) if open < close => &to[open + 1..close],
        _ => to,
    };
    inner.trim().to_lowercase()
}

fn collect_parts(part: &mailparse::ParsedMail, email: &mut Email) {
    if part.subparts.is_empty() {
        let body = part.get_body().unwrap_or_default();
        match part.ctype.mimetype.as_str() {
            "text/plain" if email.text.is_empty() => email.text = body,
            "text/html" if email.html.is_empty() => email.html = body,
            _ => {}
        }
    }
    part.subparts.iter().for_each(|sub| collect_parts(sub, email));
}

/// A multipart message is whole once its closing delimiter is written: the file transport
/// writes in place, so a listing can catch a file half-written. The stack sends nothing else.
fn is_whole(raw: &[u8]) -> bool {
    let Ok(mail) = mailparse::parse_mail(raw) else {
        return false;
    };
    match mail.ctype.params.get("boundary") {
        Some(boundary) => raw
            .trim_ascii_end()
            .ends_with(format!("--{boundary}--").as_bytes()),
        None => !raw.is_empty(),
    }
}

/// The `MAIL_DIR` of a stack or a notification service.
#[derive(Clone, Debug)]
pub struct MailDir {
    path: PathBuf,
}

impl MailDir {
    /// The directory need not exist yet: the service creates it with its first mail.
    pub fn new(path: impl Into<PathBuf>) -> MailDir {
        MailDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Emails delivered so far to `to`, oldest first.
    pub fn emails_to(&self, to: &str) -> Vec<Email> {
        let wanted = to.to_lowercase();
        self.delivered().into_iter().filter(|e| e.to == wanted).collect()
    }

    /// Waits until `to` has `count` emails carrying `link` and returns the token of the
    /// `count`-th (oldest first). Trigger mail n+1 only after waiting for mail n.
    pub async fn wait_for_token(&self, to: &str, link: &str, count: usize) -> String {
        let emails = self
            .wait_for_emails(to, count, |email| email.text.contains(link))
            .await;
        emails[count - 1].token(link)
    }

    /// Waits until at least `count` emails to `to` satisfy `wanted`; returns them oldest first.
    pub async fn wait_for_emails(
        &self,
        to: &str,
        count: usize,
        wanted: impl Fn(&Email) -> bool,
    ) -> Vec<Email> {
        self.wait_for(count, &format!("matching emails to {to}"), || {
            let emails = self.emails_to(to);
            emails.into_iter().filter(|e| wanted(e)).collect()
        })
        .await
    }

    /// Waits until at least `count` emails to anyone have been delivered; oldest first.
    pub async fn wait_for_any(&self, count: usize) -> Vec<Email> {
        self.wait_for(count, "emails", || self.delivered()).await
    }

    async fn wait_for(&self, count: usize, what: &str, list: impl Fn() -> Vec<Email>) -> Vec<Email> {
        let deadline = Instant::now() + MAIL_DEADLINE;
        loop {
            let emails = list();
            if emails.len() >= count {
                return emails;
            }
            assert!(
                Instant::now() < deadline,
                "{} {what} of {count} within {MAIL_DEADLINE:?} in {}",
                emails.len(),
                self.path.display()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Every whole `.eml` file parsed, oldest first.
    fn delivered(&self) -> Vec<Email> {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return Vec::new();
        };
        let mut emails: Vec<(SystemTime, Email)> = entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                if path.extension().is_none_or(|ext| ext != "eml") {
                    return None;
                }
                let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
                let raw = std::fs::read(&path).ok()?;
                Some((modified, Email::parse(&raw).filter(|_| is_whole(&raw))?))
            })
            .collect();
        emails.sort_by_key(|(modified, _)| *modified);
        emails.into_iter().map(|(_, email)| email).collect()
    }
}
