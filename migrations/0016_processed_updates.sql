-- The updates taken from Telegram, by update_id: a webhook retried (perhaps to another
-- replica) or a poll re-delivered after a crash is handled once. Rows older than a couple
-- of days are pruned: Telegram keeps an update for at most 24 hours.
CREATE TABLE processed_updates (
    update_id BIGINT PRIMARY KEY,
    received_at TEXT NOT NULL
);

CREATE INDEX processed_updates_received_at ON processed_updates (received_at);
