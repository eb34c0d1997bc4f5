-- Payments: how far each payment's story went, and what it still has to tell people.

-- claims: how many times the client pressed "I've paid" (the staff's buttons name the claim
-- they answer); overdue_rung: 0, then 1 (receivables told) and 2 (the head of sales told).
ALTER TABLE payments ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN overdue_rung INTEGER NOT NULL DEFAULT 0;

-- Payment ids are never reused (buttons carry them: a button of a deleted payment must not
-- act on a new one); `payments` has no AUTOINCREMENT, so ids are drawn here.
CREATE TABLE payment_serial (id INTEGER PRIMARY KEY AUTOINCREMENT);

-- What a payment must tell (a reminder, a claim to check, an answer, an overdue rung),
-- written in the transaction that decided it and sent by a job until done, once.
-- kind: reminder (step = days before the due date), claimed / confirmed / not_received
-- (step = the claim's number), overdue (step = the rung). audience: client, receivables
-- (`target` = their Telegram id), topic (the lead's topic), head (a head of sales), group.
CREATE TABLE payment_notices (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind TEXT NOT NULL
        CHECK (kind IN ('reminder', 'claimed', 'confirmed', 'not_received', 'overdue')),
    step INTEGER NOT NULL DEFAULT 0,
    audience TEXT NOT NULL
        CHECK (audience IN ('client', 'receivables', 'topic', 'head', 'group')),
    target INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    -- A sender working on the notice; another run leaves it alone until then.
    claimed_until TEXT,
    done_at TEXT,
    -- sent / blocked / refused / gone / stale / gave_up
    outcome TEXT
);

CREATE UNIQUE INDEX payment_notices_once
    ON payment_notices (payment_id, kind, step, audience, target);
CREATE INDEX payment_notices_due ON payment_notices (next_try_at) WHERE done_at IS NULL;
