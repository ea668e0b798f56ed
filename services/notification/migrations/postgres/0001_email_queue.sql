-- The outbox: one row per email to deliver, rendered when queued so delivery needs nothing else.
CREATE TABLE email_queue (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at BIGINT  NOT NULL,
    locked_until    BIGINT,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT,
    CONSTRAINT email_queue_idempotency_key_key UNIQUE (idempotency_key)
);
CREATE INDEX email_queue_due_idx ON email_queue (status, next_attempt_at);
CREATE INDEX email_queue_recipient_idx ON email_queue (recipient);
