-- Whether the user has a second factor on. The factors themselves live in auth's tables; auth
-- sets this flag when one is turned on or off (and corrects it at login), so reading a profile
-- needs no call to auth.
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
