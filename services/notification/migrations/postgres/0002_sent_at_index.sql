-- The janitor removes sent emails by `sent_at` (dead ones by `next_attempt_at`, which
-- `email_queue_due_idx` already covers); the status leads so the scan stays within sent rows.
CREATE INDEX email_queue_sent_idx ON email_queue (status, sent_at);
