//! The mail the stack writes as `.eml` files under `MAIL_DIR`, read back by recipient.
use crate::helpers::{FRONTEND_URL, TestApp};
use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, Instant, SystemTime},
};

pub const VERIFY_LINK: &str = "/auth/verify-email?token=";
pub const RESET_LINK: &str = "/auth/reset-password?token=";

const MAIL_DEADLINE: Duration = Duration::from_secs(15);
const POLL_EVERY: Duration = Duration::from_millis(25);

#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
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
        let to = mail
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("to"))?
            .get_value();
        let subject = mail
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("subject"))?;
        let mut email = Email {
            to: address(&to),
            subject: subject.get_value(),
            text: String::new(),
            html: String::new(),
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

impl TestApp {
    /// Emails delivered so far to `to`, oldest first.
    pub fn emails_to(&self, to: &str) -> Vec<Email> {
        self.delivered(None, to)
            .into_iter()
            .map(|(_, email)| email)
            .collect()
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
        let deadline = Instant::now() + MAIL_DEADLINE;
        let mut sizes = HashMap::new();
        loop {
            let delivered = self.delivered(Some(&sizes), to);
            let emails: Vec<Email> = delivered
                .iter()
                .map(|(_, e)| e.clone())
                .filter(|e| wanted(e))
                .collect();
            if emails.len() >= count {
                return emails;
            }
            assert!(
                Instant::now() < deadline,
                "{to} got {} matching emails of {count} within {MAIL_DEADLINE:?}",
                emails.len()
            );
            sizes = self.file_sizes();
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Parsed emails to `to`, oldest first. With `settled`, only the files whose size is
    /// unchanged since that earlier listing (so not being written right now).
    fn delivered(&self, settled: Option<&HashMap<PathBuf, u64>>, to: &str) -> Vec<(SystemTime, Email)> {
        let wanted = to.to_lowercase();
        let mut emails: Vec<(SystemTime, Email)> = self
            .eml_files()
            .into_iter()
            .filter(|(path, size, _)| settled.is_none_or(|sizes| sizes.get(path) == Some(size)))
            .filter_map(|(path, _, modified)| Some((modified, Email::parse(&std::fs::read(path).ok()?)?)))
            .filter(|(_, email)| email.to == wanted)
            .collect();
        emails.sort_by_key(|(modified, _)| *modified);
        emails
    }

    fn file_sizes(&self) -> HashMap<PathBuf, u64> {
        self.eml_files()
            .into_iter()
            .map(|(path, size, _)| (path, size))
            .collect()
    }

    fn eml_files(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let meta = std::fs::metadata(&path).ok()?;
                let is_eml = path.extension().is_some_and(|ext| ext == "eml");
                (is_eml && meta.len() > 0).then(|| Some((path, meta.len(), meta.modified().ok()?)))?
            })
            .collect()
    }
}
