-- Race-safe refresh: a rotated token remembers its successor (id and times, never the token
-- itself), so presenting it again within the grace answers that same successor.
ALTER TABLE refresh_tokens ADD COLUMN successor_jti TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_iat BIGINT;
ALTER TABLE refresh_tokens ADD COLUMN successor_exp BIGINT;
-- Sessions and devices: when a session was last used (login, then every refresh).
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_used_at = created_at;
