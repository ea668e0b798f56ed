//! Email templates: a subject, a plain-text body and an HTML body per kind, embedded in the
//! binary and optionally overridden by files in `TEMPLATE_DIR`, with `{{name}}`, `{{link}}` and
//! `{{app_name}}` placeholders.
use crate::{
    error::{NotificationError, Result},
    kind::EmailKind,
};
use std::path::Path;

/// The product name the emails speak in.
pub const APP_NAME: &str = "Astro Auth";

/// The greeting used when the recipient's name is unknown.
const ANONYMOUS: &str = "there";
/// Names are user-supplied: keep them to one short line.
const MAX_NAME_CHARS: usize = 100;

/// One kind's three template parts.
#[derive(Clone, Debug)]
struct Template {
    subject: String,
    text: String,
    html: String,
}

/// The templates of every kind.
#[derive(Clone, Debug)]
pub struct Templates {
    by_kind: [Template; EmailKind::ALL.len()],
}

/// A rendered email, ready to be queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The values a template is filled with (unescaped; HTML escaping happens in [`Templates::render`]).
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    pub name: &'a str,
    pub link: &'a str,
}

macro_rules! embedded {
    ($kind:literal) => {
        (
            include_str!(concat!("../templates/", $kind, ".subject.txt")),
            include_str!(concat!("../templates/", $kind, ".txt")),
            include_str!(concat!("../templates/", $kind, ".html")),
        )
    };
}

/// In the order of [`EmailKind::ALL`].
const EMBEDDED: [(&str, &str, &str); EmailKind::ALL.len()] = [
    embedded!("verification"),
    embedded!("password_reset"),
    embedded!("password_changed"),
    embedded!("account_deleted"),
    embedded!("mfa_enabled"),
    embedded!("mfa_disabled"),
    embedded!("recovery_code_used"),
];

impl Templates {
    /// The templates compiled into the binary.
    pub fn embedded() -> Self {
        Self::load(None).expect("embedded templates need no I/O")
    }

    /// The embedded templates, each replaced by `<dir>/<kind>.subject.txt`, `<kind>.txt` or
    /// `<kind>.html` where such a file exists.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let part = |file: String, embedded: &str| -> Result<String> {
            let Some(dir) = dir else {
                return Ok(embedded.to_owned());
            };
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(embedded.to_owned()),
                Err(source) => Err(NotificationError::Template { path, source }),
            }
        };
        let mut parts = Vec::with_capacity(EMBEDDED.len());
        for (kind, (subject, text, html)) in EmailKind::ALL.into_iter().zip(EMBEDDED) {
            let stem = kind.as_str();
            parts.push(Template {
                subject: part(format!("{stem}.subject.txt"), subject)?,
                text: part(format!("{stem}.txt"), text)?,
                html: part(format!("{stem}.html"), html)?,
            });
        }
        let by_kind = parts.try_into().expect("one template per kind");
        Ok(Templates { by_kind })
    }

    /// Fills the kind's templates; every value is HTML-escaped in the HTML part.
    pub fn render(&self, kind: EmailKind, values: Values<'_>) -> Rendered {
        let template = &self.by_kind[EmailKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)];
        let name = greeting_name(values.name);
        let plain = [
            ("name", name.as_str()),
            ("app_name", APP_NAME),
            ("link", values.link),
        ];
        let escaped = plain.map(|(key, value)| (key, escape_html(value)));
        let escaped = escaped.each_ref().map(|(key, value)| (*key, value.as_str()));
        // A subject is one header line whatever the template file ends with.
        let subject = fill(&template.subject, &plain)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        Rendered {
            subject,
            text: fill(&template.text, &plain),
            html: fill(&template.html, &escaped),
        }
    }
}

/// The link an email of `kind` points to; `token` goes in verbatim (it is URL-safe).
pub fn link(kind: EmailKind, frontend_url: &str, token: &str) -> String {
    let base = frontend_url.trim_end_matches('/');
    match kind {
        EmailKind::Verification => format!("{base}/auth/verify-email?token={token}"),
        EmailKind::PasswordReset => format!("{base}/auth/reset-password?token={token}"),
        // Security notices: if it was not you, take the account back by a password reset.
        EmailKind::PasswordChanged
        | EmailKind::MfaEnabled
        | EmailKind::MfaDisabled
        | EmailKind::RecoveryCodeUsed => format!("{base}/auth/forgot-password"),
        EmailKind::AccountDeleted => base.to_owned(),
    }
}

/// Escapes the characters that could open a tag or leave an attribute value.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The name to greet: one line of printable characters, or "there".
fn greeting_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() {
        ANONYMOUS.to_owned()
    } else {
        name.to_owned()
    }
}

/// Replaces `{{key}}` in one pass, so a value that itself contains `{{link}}` stays literal.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let key = after[..end].trim();
        match values.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_part_escapes_the_name_and_both_parts_carry_the_link() {
        let link = link(EmailKind::Verification, "http://front.test/", "abc_DEF-123");
        assert_eq!(link, "http://front.test/auth/verify-email?token=abc_DEF-123");
        let name = "<script>alert('x')</script>";
        let email = Templates::embedded().render(EmailKind::Verification, Values { name, link: &link });
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(
            email
                .html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        );
        assert!(email.text.contains(name), "the text part is not HTML");
        assert!(email.html.contains(&link) && email.text.contains(&link));
        assert_eq!(email.subject, "Verify your email address for Astro Auth");
    }

    #[test]
    fn empty_name_greets_there_and_placeholders_in_values_stay_literal() {
        let email = Templates::embedded().render(EmailKind::PasswordChanged, Values { name: " ", link: "L" });
        assert!(email.text.starts_with("Hi there,"));
        let email = Templates::embedded().render(
            EmailKind::AccountDeleted,
            Values {
                name: "{{link}}",
                link: "L",
            },
        );
        assert!(email.text.starts_with("Hi {{link}},"));
    }

    #[test]
    fn reset_link_uses_the_reset_path() {
        let link = link(EmailKind::PasswordReset, "https://app.test", "tok");
        assert_eq!(link, "https://app.test/auth/reset-password?token=tok");
    }

    #[test]
    fn files_in_the_template_dir_override_the_embedded_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("verification.subject.txt"), "Hello {{name}}\n").unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let email = templates.render(
            EmailKind::Verification,
            Values {
                name: "Ann",
                link: "L",
            },
        );
        assert_eq!(email.subject, "Hello Ann");
        assert!(email.html.contains("Verify email"), "other parts stay embedded");
    }
}
