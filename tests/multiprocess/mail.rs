//! The verification mail the notification-service process writes as an `.eml` file.
use std::{
    path::Path,
    time::{Duration, Instant},
};

/// Waits for the mail to `to` carrying a `{link_prefix}<token>` link and returns the token.
pub async fn wait_for_token(mail_dir: &Path, to: &str, link_prefix: &str, deadline: Duration) -> String {
    let give_up = Instant::now() + deadline;
    loop {
        if let Some(token) = find_token(mail_dir, to, link_prefix) {
            return token;
        }
        assert!(Instant::now() < give_up, "no mail to {to} within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn find_token(mail_dir: &Path, to: &str, link_prefix: &str) -> Option<String> {
    std::fs::read_dir(mail_dir)
        .ok()?
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .find_map(|raw| {
            let mail = mailparse::parse_mail(&raw).ok()?;
            let addressed = mail
                .headers
                .iter()
                .any(|h| h.get_key().eq_ignore_ascii_case("to") && h.get_value().contains(to));
            let text = body(&mail, "text/plain")?;
            let start = text.find(link_prefix)? + link_prefix.len();
            let token: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.~%".contains(*c))
                .collect();
            // The HTML part comes last: finding the whole link there too means the file was
            // not read half-written.
            let complete = body(&mail, "text/html")?.contains(&format!("{link_prefix}{token}"));
            (addressed && complete && !token.is_empty()).then_some(token)
        })
}

/// The first `mimetype` body of a (possibly multipart) mail.
fn body(part: &mailparse::ParsedMail, mimetype: &str) -> Option<String> {
    if part.ctype.mimetype == mimetype {
        return part.get_body().ok();
    }
    part.subparts.iter().find_map(|sub| body(sub, mimetype))
}
