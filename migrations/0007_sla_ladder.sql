-- Time limits: which event opened and which closed each deadline (so replaying a batch
-- of events changes nothing), how it ended, and the notices a breach still has to send.

-- opened_by / closed_by: the event's id. outcome: met / cancelled (the desk's work ended)
-- / moved (a next call set for another time).
ALTER TABLE desk_deadlines ADD COLUMN opened_by INTEGER;
ALTER TABLE desk_deadlines ADD COLUMN closed_by INTEGER;
ALTER TABLE desk_deadlines ADD COLUMN outcome TEXT;

CREATE UNIQUE INDEX desk_deadlines_opened_by ON desk_deadlines (lead_id, kind, opened_by);
CREATE INDEX desk_deadlines_rung ON desk_deadlines (next_rung_at)
    WHERE met_at IS NULL AND next_rung_at IS NOT NULL;

-- What a rung of a breach must tell, written in the transaction that moved the rung and
-- sent by a job until done. audience: owner (the lead's topic), head (a head of sales,
-- `target` = their Telegram id), group (the staff group, with no head of sales), client.
CREATE TABLE sla_notices (
    id INTEGER PRIMARY KEY,
    deadline_id INTEGER NOT NULL REFERENCES desk_deadlines (id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    rung INTEGER NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('owner', 'head', 'group', 'client')),
    target INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    -- A sender working on the notice; another run leaves it alone until then.
    claimed_until TEXT,
    done_at TEXT,
    -- sent / blocked / refused / gave_up
    outcome TEXT
);

CREATE UNIQUE INDEX sla_notices_once ON sla_notices (deadline_id, rung, audience, target);
CREATE INDEX sla_notices_due ON sla_notices (next_try_at) WHERE done_at IS NULL;
