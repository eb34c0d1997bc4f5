-- The deal timeline's own bookkeeping: the overdue ladder of the current stage, the
-- pinned summary's pending edit, and the notices an overdue stage still has to send.

-- overdue_rung: 0 on time, 1 the stage's owners told, 2 the head of sales told.
-- next_rung_at: when the next rung is due (NULL: no limit, or the ladder is done).
ALTER TABLE deals ADD COLUMN overdue_rung INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN next_rung_at TEXT;
-- Set by every move in its transaction; cleared once the pinned summary shows the move.
ALTER TABLE deals ADD COLUMN summary_due_at TEXT;

CREATE INDEX deals_rung ON deals (next_rung_at)
    WHERE closed_at IS NULL AND next_rung_at IS NOT NULL;
CREATE INDEX deals_summary ON deals (summary_due_at) WHERE summary_due_at IS NOT NULL;

-- What a rung of an overdue stage must tell, written in the transaction that moved the
-- rung and sent by a job until done. stage_since names the stage visit: a notice of a
-- stage the deal has left is not sent. audience: topic (the lead's topic, mentioning the
-- owners), person (an owner in private, `target`), head (a head of sales, `target`),
-- group (the staff group, with no head of sales).
CREATE TABLE deal_notices (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    rung INTEGER NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('topic', 'person', 'head', 'group')),
    target INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    -- A sender working on the notice; another run leaves it alone until then.
    claimed_until TEXT,
    done_at TEXT,
    -- sent / blocked / refused / moved / gone / gave_up
    outcome TEXT
);

CREATE UNIQUE INDEX deal_notices_once
    ON deal_notices (lead_id, stage_since, rung, audience, target);
CREATE INDEX deal_notices_due ON deal_notices (next_try_at) WHERE done_at IS NULL;
