-- Users, owned by the user service. Timestamps are microseconds since the Unix epoch so that
-- SQLite and PostgreSQL compare and order them identically.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    -- lower(username): usernames are unique regardless of case.
    username_key  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    first_name    TEXT,
    last_name     TEXT,
    role          TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    is_verified   INTEGER NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    avatar_url    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

-- SQLite reports violations as `users.email` / `users.username_key`, which the service maps
-- to ALREADY_EXISTS.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_username_key_key ON users (username_key);

CREATE INDEX users_created_at_id_idx ON users (created_at, id);
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_is_verified_idx ON users (is_verified);
CREATE INDEX users_is_active_idx ON users (is_active);
