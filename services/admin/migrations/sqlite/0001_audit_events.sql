-- The audit log, owned by the admin service: admin actions and other services' security events.
-- `at` is microseconds since the Unix epoch, as every timestamp here. Ids of actor and target
-- are not foreign keys: users live in another service's table, and the log must outlive them.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    actor_id   INTEGER,
    target_id  INTEGER,
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    trace_id   TEXT    NOT NULL DEFAULT '',
    details    TEXT    NOT NULL DEFAULT ''
);

-- Newest first, alone or per filter: each filter's index also yields the order.
CREATE INDEX audit_events_at_idx ON audit_events (at, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, at, id);
CREATE INDEX audit_events_target_idx ON audit_events (target_id, at, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, at, id);
