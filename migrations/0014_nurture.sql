-- Nurture follow-ups: one row per nurture lead once its verdict was given. The row is the
-- durable timer (due_at, claimed by one sender at a time) and the per-lead state: how many
-- follow-ups went unanswered, when the last one was sent, whether it was stopped.

-- asked_at, asked_language: when and in which language the marketing consent was asked
-- (once per lead); a "yes" is the consent to the text in that language.
-- every_days: the verdict's follow-up interval, reused after an unanswered follow-up.
-- attempts: follow-ups sent since the client last answered one (or since the verdict).
-- due_at: the next follow-up (UTC), NULL while none is planned (no consent yet, stopped).
-- stopped_via: command / button / consent / setting / silence.
-- last_activity_at: the last time the client did something here (verdict, consent
-- answered, follow-up answered, stop): retention counts silence from it.
CREATE TABLE nurture_state (
    lead_id INTEGER PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    asked_at TEXT,
    asked_language TEXT,
    every_days INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT,
    claimed_until TEXT,
    last_sent_at TEXT,
    last_message_id INTEGER,
    answered_at TEXT,
    stopped_at TEXT,
    stopped_via TEXT,
    last_activity_at TEXT NOT NULL
);

CREATE INDEX nurture_state_due ON nurture_state (due_at)
    WHERE due_at IS NOT NULL AND stopped_at IS NULL;
