-- Second factors. One TOTP factor per user: pending from enrolment until its first code, then
-- active. `secret` is sealed with DATA_ENCRYPTION_KEY (never stored in clear); `last_step` is
-- the newest time step the factor accepted, moved only forward by a compare-and-swap, so no
-- code works twice.
CREATE TABLE mfa_factors (
    id            TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL UNIQUE,
    secret        TEXT NOT NULL,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    activated_at  BIGINT
);

-- Recovery codes of an active factor, by SHA-256 only; each used once.
CREATE TABLE mfa_recovery_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX mfa_recovery_codes_user_id_idx ON mfa_recovery_codes (user_id);

-- A password login waiting for its second factor: the mfa_token by hash, single use, dead after
-- five wrong codes.
CREATE TABLE mfa_challenges (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    used_at     BIGINT
);
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- How the session's user last proved who they are: assurance level (1 password, 2 with a
-- second factor) and when (seconds since the epoch; 0 for sessions from before this).
ALTER TABLE sessions ADD COLUMN aal INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
