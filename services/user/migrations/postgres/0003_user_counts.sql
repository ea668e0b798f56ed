-- Counters kept by triggers, so that statistics and unsearched list totals stay O(1) at a
-- million users instead of counting the table on every request.
-- user_counts: users per (role, is_verified, is_active) combination (at most 8 rows).
-- user_registrations_hourly: users per creation hour (created_at / 3600000000), for "recent".
CREATE TABLE user_counts (
    role        TEXT    NOT NULL,
    is_verified BOOLEAN NOT NULL,
    is_active   BOOLEAN NOT NULL,
    n           BIGINT  NOT NULL,
    PRIMARY KEY (role, is_verified, is_active)
);
INSERT INTO user_counts (role, is_verified, is_active, n)
SELECT role, is_verified, is_active, COUNT(*) FROM users GROUP BY role, is_verified, is_active;

CREATE TABLE user_registrations_hourly (
    hour BIGINT PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO user_registrations_hourly (hour, n)
SELECT created_at / 3600000000, COUNT(*) FROM users GROUP BY created_at / 3600000000;

CREATE FUNCTION users_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE user_counts SET n = n - 1
         WHERE role = OLD.role AND is_verified = OLD.is_verified AND is_active = OLD.is_active;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO user_counts (role, is_verified, is_active, n)
        VALUES (NEW.role, NEW.is_verified, NEW.is_active, 1)
        ON CONFLICT (role, is_verified, is_active) DO UPDATE SET n = user_counts.n + 1;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_registrations_hourly (hour, n) VALUES (NEW.created_at / 3600000000, 1)
        ON CONFLICT (hour) DO UPDATE SET n = user_registrations_hourly.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE user_registrations_hourly SET n = n - 1 WHERE hour = OLD.created_at / 3600000000;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_keep_counts
AFTER INSERT OR DELETE OR UPDATE OF role, is_verified, is_active ON users
FOR EACH ROW EXECUTE FUNCTION users_keep_counts();
