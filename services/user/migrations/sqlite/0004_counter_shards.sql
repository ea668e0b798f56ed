-- Counters that scale: on PostgreSQL, migration 4 replaces the row trigger with
-- statement-level triggers over sharded counter rows. SQLite keeps its row triggers and its
-- single row per counter, because neither of PostgreSQL's problems exists here:
-- - SQLite updates a row in place (no MVCC version chain), so the N-th upsert of one bulk
--   transaction costs what the first did: a bulk insert stays linear;
-- - SQLite has one writer at a time for the whole database, so shard rows would not let two
--   registrations write concurrently; they would only make every read sum more rows.
-- (SQLite has no statement-level triggers either.)
--
-- What changes: the update trigger fired on every UPDATE naming a counted column, and the
-- service's admin edit names all three in every statement (`role = COALESCE(?, role)`), so
-- every profile edit rewrote a counter row twice for nothing. It now fires only when a
-- counted value actually changes.
DROP TRIGGER users_count_update;

CREATE TRIGGER users_count_update AFTER UPDATE OF role, is_verified, is_active ON users
WHEN OLD.role IS NOT NEW.role OR OLD.is_verified IS NOT NEW.is_verified
     OR OLD.is_active IS NOT NEW.is_active
BEGIN
    UPDATE user_counts SET n = n - 1
     WHERE role = OLD.role AND is_verified = OLD.is_verified AND is_active = OLD.is_active;
    INSERT INTO user_counts (role, is_verified, is_active, n)
    VALUES (NEW.role, NEW.is_verified, NEW.is_active, 1)
    ON CONFLICT (role, is_verified, is_active) DO UPDATE SET n = n + 1;
END;
