-- Counters that scale (replaces the row trigger of migration 3).
--
-- Why: a FOR EACH ROW trigger upserts the same counter row once per user. Inside one
-- transaction every upsert leaves a new row version that cannot be pruned before commit, and
-- each next upsert walks that growing chain, so a bulk insert or import of N users costs
-- O(N²) (a million users did not load in 26 minutes). And every registration held the one
-- counter row of its (role, flags) until commit, so registrations from all replicas queued.
--
-- Now: statement-level triggers read the statement's transition tables and apply one
-- aggregated upsert per counter row per statement, so a bulk statement touches each row once.
-- The counters are spread over 16 shard rows (shard = id % 16) so that concurrent
-- registrations, whose ids differ, mostly lock different rows. Readers sum over the shards,
-- which the existing readers (SUM(n) over all rows) already do.
--
-- PostgreSQL allows transition tables neither on a trigger with a column list
-- (`UPDATE OF role, …`) nor on one firing for several events: hence one trigger per event,
-- and the update trigger nets its changes out, so an update touching no counted column
-- writes no counter row.

-- No write may run between the recount below and the new triggers: block writers (readers
-- go on) until this migration commits.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

DROP TRIGGER users_keep_counts ON users;
DROP FUNCTION users_keep_counts();

-- The tables are altered rather than recreated, so that queries of replicas still running
-- the previous release wait for this migration and then read the new rows.
ALTER TABLE user_counts DROP CONSTRAINT user_counts_pkey;
ALTER TABLE user_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE user_counts ALTER COLUMN shard DROP DEFAULT;
ALTER TABLE user_counts ADD PRIMARY KEY (role, is_verified, is_active, shard);
DELETE FROM user_counts;
INSERT INTO user_counts (role, is_verified, is_active, shard, n)
SELECT role, is_verified, is_active, id % 16, COUNT(*)
  FROM users GROUP BY role, is_verified, is_active, id % 16;

ALTER TABLE user_registrations_hourly DROP CONSTRAINT user_registrations_hourly_pkey;
ALTER TABLE user_registrations_hourly ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE user_registrations_hourly ALTER COLUMN shard DROP DEFAULT;
ALTER TABLE user_registrations_hourly ADD PRIMARY KEY (hour, shard);
DELETE FROM user_registrations_hourly;
INSERT INTO user_registrations_hourly (hour, shard, n)
SELECT created_at / 3600000000, id % 16, COUNT(*)
  FROM users GROUP BY created_at / 3600000000, id % 16;

-- Each function adds signed deltas. The upserts take their row locks in key order (ORDER BY),
-- and always user_counts before user_registrations_hourly, so two bulk statements cannot
-- deadlock on the counters. Deleted and updated rows were counted in the same shard, so a
-- negative delta always finds its row and no shard goes below zero.
CREATE FUNCTION users_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts AS c (role, is_verified, is_active, shard, n)
    SELECT role, is_verified, is_active, id % 16, COUNT(*) FROM new_users
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (role, is_verified, is_active, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO user_registrations_hourly AS h (hour, shard, n)
    SELECT created_at / 3600000000, id % 16, COUNT(*) FROM new_users
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, shard) DO UPDATE SET n = h.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts AS c (role, is_verified, is_active, shard, n)
    SELECT role, is_verified, is_active, id % 16, -COUNT(*) FROM old_users
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (role, is_verified, is_active, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO user_registrations_hourly AS h (hour, shard, n)
    SELECT created_at / 3600000000, id % 16, -COUNT(*) FROM old_users
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, shard) DO UPDATE SET n = h.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

-- Every UPDATE of users fires this (no column list is allowed), most of them touching no
-- counted column (logins, profile edits): old and new rows then cancel out and nothing is
-- written. Counting `created_at` and `id` too keeps the counters exact even if they change.
CREATE FUNCTION users_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts AS c (role, is_verified, is_active, shard, n)
    SELECT role, is_verified, is_active, shard, SUM(n) FROM (
        SELECT role, is_verified, is_active, id % 16 AS shard, 1 AS n FROM new_users
        UNION ALL
        SELECT role, is_verified, is_active, id % 16, -1 FROM old_users
    ) AS delta
     GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (role, is_verified, is_active, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO user_registrations_hourly AS h (hour, shard, n)
    SELECT hour, shard, SUM(n) FROM (
        SELECT created_at / 3600000000 AS hour, id % 16 AS shard, 1 AS n FROM new_users
        UNION ALL
        SELECT created_at / 3600000000, id % 16, -1 FROM old_users
    ) AS delta
     GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2
    ON CONFLICT (hour, shard) DO UPDATE SET n = h.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count_inserted AFTER INSERT ON users
REFERENCING NEW TABLE AS new_users
FOR EACH STATEMENT EXECUTE FUNCTION users_count_inserted();

CREATE TRIGGER users_count_deleted AFTER DELETE ON users
REFERENCING OLD TABLE AS old_users
FOR EACH STATEMENT EXECUTE FUNCTION users_count_deleted();

CREATE TRIGGER users_count_updated AFTER UPDATE ON users
REFERENCING OLD TABLE AS old_users NEW TABLE AS new_users
FOR EACH STATEMENT EXECUTE FUNCTION users_count_updated();
