//! Sessions and devices: a user lists their live sessions (where and with what each was last
//! used) and ends the ones they do not recognise. Ending one revokes its access tokens at once,
//! by `sid`, wherever they are checked.
use super::Auth;
use crate::{audit::RequestContext, error::AuthError};
use astro_domain::reason::Reason;
use astro_proto::auth::v1::{Device, Session};
use astro_security::tokens::Claims;

/// The longest user agent kept, in bytes (the contract's limit).
pub(super) const MAX_USER_AGENT: usize = 512;

impl Auth {
    /// The caller's live sessions, most recently used first, theirs marked current.
    pub async fn list_sessions(&self, caller: &Claims) -> Result<Vec<Session>, AuthError> {
        let user_id = user_id(caller)?;
        let sessions = self.repo.list_sessions(user_id).await?;
        Ok(sessions
            .into_iter()
            .map(|session| Session {
                current: session.id == caller.sid,
                device: Some(device(&session.user_agent)),
                id: session.id,
                created_at: session.created_at,
                last_used_at: session.last_used_at,
                expires_at: session.expires_at,
                ip: session.ip,
                user_agent: session.user_agent,
                aal: session.aal,
            })
            .collect())
    }

    /// Ends the caller's session `id`, not the current one (that is logout).
    pub async fn revoke_own_session(
        &self,
        caller: &Claims,
        id: &str,
        ctx: &RequestContext,
    ) -> Result<(), AuthError> {
        let user_id = user_id(caller)?;
        if id == caller.sid {
            return Err(AuthError::Refused(Reason::CurrentSession));
        }
        if !self.repo.revoke_own_session(user_id, id).await? {
            // Another user's session reads the same as none: ids reveal nothing.
            return Err(AuthError::Refused(Reason::SessionNotFound));
        }
        self.revocations
            .revoke_session(id, self.access_token_horizon())
            .await
            .map_err(|_| AuthError::Unavailable)?;
        let details = serde_json::json!({ "session": id });
        self.audit
            .record(ctx, "session_revoked", Some(user_id), Some(user_id), details);
        Ok(())
    }

    /// Ends every session of the caller but the current one; how many.
    pub async fn revoke_other_sessions(
        &self,
        caller: &Claims,
        ctx: &RequestContext,
    ) -> Result<u32, AuthError> {
        let user_id = user_id(caller)?;
        self.require_recent(caller)?;
        let revoked = self.revoke_sessions(user_id, Some(&caller.sid)).await?;
        let details = serde_json::json!({ "revoked": revoked });
        self.audit.record(
            ctx,
            "other_sessions_revoked",
            Some(user_id),
            Some(user_id),
            details,
        );
        Ok(u32::try_from(revoked).unwrap_or(u32::MAX))
    }

    /// A refresh used the session: from where and with what, now.
    pub(super) async fn touch_session(&self, sid: &str, ctx: &RequestContext) {
        if let Err(err) = self
            .repo
            .touch_session(sid, &ctx.ip, user_agent(&ctx.user_agent))
            .await
        {
            tracing::warn!(error = %err, "could not record the session's use");
        }
    }
}

fn user_id(caller: &Claims) -> Result<i64, AuthError> {
    caller
        .user_id()
        .map_err(|_| AuthError::Refused(Reason::InvalidToken))
}

/// The user agent as kept: at most [`MAX_USER_AGENT`] bytes, cut on a character boundary.
pub(super) fn user_agent(raw: &str) -> &str {
    let mut end = raw.len().min(MAX_USER_AGENT);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

/// The device a user agent names, by woothee's maintained dataset.
fn device(user_agent: &str) -> Device {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let Some(parsed) = parsed else {
        return Device {
            browser: String::new(),
            os: String::new(),
            r#type: "other".into(),
        };
    };
    let known = |value: &str| {
        if value == "UNKNOWN" {
            String::new()
        } else {
            value.to_owned()
        }
    };
    let kind = match (parsed.category, parsed.os) {
        ("crawler", _) => "bot",
        (_, "iPad") => "tablet",
        ("pc", _) => "desktop",
        ("smartphone" | "mobilephone", _) if parsed.os == "Android" && !user_agent.contains("Mobile") => {
            "tablet"
        }
        ("smartphone" | "mobilephone", _) => "mobile",
        _ => "other",
    };
    Device {
        browser: known(parsed.name),
        os: known(parsed.os),
        r#type: kind.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_from_common_user_agents() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                "desktop",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "mobile",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "tablet",
            ),
            ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
            ("", "other"),
            ("curl/8.0", "other"),
        ];
        for (agent, kind) in cases {
            assert_eq!(device(agent).r#type, kind, "{agent}");
        }
        assert_eq!(device(cases[0].0).browser, "Chrome");
        assert_eq!(user_agent(&"é".repeat(400)).len(), 512);
    }
}
