-- Counters kept by triggers, so that statistics and unsearched list totals stay O(1)
-- instead of counting the table on every request (same design as on PostgreSQL).
CREATE TABLE user_counts (
    role        TEXT    NOT NULL,
    is_verified BOOLEAN NOT NULL,
    is_active   BOOLEAN NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (role, is_verified, is_active)
);
INSERT INTO user_counts (role, is_verified, is_active, n)
SELECT role, is_verified, is_active, COUNT(*) FROM users GROUP BY role, is_verified, is_active;

CREATE TABLE user_registrations_hourly (
    hour INTEGER PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO user_registrations_hourly (hour, n)
SELECT created_at / 3600000000, COUNT(*) FROM users GROUP BY created_at / 3600000000;

CREATE TRIGGER users_count_insert AFTER INSERT ON users
BEGIN
    INSERT INTO user_counts (role, is_verified, is_active, n)
    VALUES (NEW.role, NEW.is_verified, NEW.is_active, 1)
    ON CONFLICT (role, is_verified, is_active) DO UPDATE SET n = n + 1;
    INSERT INTO user_registrations_hourly (hour, n) VALUES (NEW.created_at / 3600000000, 1)
    ON CONFLICT (hour) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER users_count_delete AFTER DELETE ON users
BEGIN
    UPDATE user_counts SET n = n - 1
     WHERE role = OLD.role AND is_verified = OLD.is_verified AND is_active = OLD.is_active;
    UPDATE user_registrations_hourly SET n = n - 1 WHERE hour = OLD.created_at / 3600000000;
END;

CREATE TRIGGER users_count_update AFTER UPDATE OF role, is_verified, is_active ON users
BEGIN
    UPDATE user_counts SET n = n - 1
     WHERE role = OLD.role AND is_verified = OLD.is_verified AND is_active = OLD.is_active;
    INSERT INTO user_counts (role, is_verified, is_active, n)
    VALUES (NEW.role, NEW.is_verified, NEW.is_active, 1)
    ON CONFLICT (role, is_verified, is_active) DO UPDATE SET n = n + 1;
END;
