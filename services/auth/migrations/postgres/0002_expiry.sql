-- What the janitor needs to find expired rows without scanning whole tables.
-- A session now carries its own expiry: that of its newest refresh token, moved forward on every
-- rotation. Existing sessions take theirs from their refresh tokens (or expire at creation when
-- they have none left, which no refresh can revive).
ALTER TABLE sessions ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET expires_at = COALESCE(
    (SELECT MAX(r.expires_at) FROM refresh_tokens r WHERE r.session_id = sessions.id),
    created_at
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);
