-- The lead-managers' desk: who works each lead and what is due, the relay between the
-- prospect's chat and the lead's topic, time limits, and the knowledge base's own answers.

-- One row per lead the desk works. Cascades with the lead: /forget leaves only events,
-- which hold no personal data, so the counts survive.
CREATE TABLE desk_leads (
    lead_id INTEGER PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    -- The lead-manager responsible (Telegram user id), and since when.
    owner_id INTEGER,
    owner_name TEXT,
    taken_at TEXT,
    first_contact_at TEXT,
    -- The last logged call: reached / no_answer / wrong_number.
    last_call_outcome TEXT,
    last_call_at TEXT,
    next_call_at TEXT,
    -- 1 after a logged call until a next call is set or the lead is closed.
    next_step_required INTEGER NOT NULL DEFAULT 0,
    closed_reason TEXT,
    closed_at TEXT,
    -- A lead-manager's verdict over the checklist's, with the reason they gave.
    override_verdict TEXT,
    override_reason TEXT,
    override_by INTEGER,
    -- The prospect talks to people (after the checklist, "Ask a person" or /human).
    relay_open INTEGER NOT NULL DEFAULT 0,
    last_client_message_at TEXT,
    last_client_text TEXT,
    last_staff_reply_at TEXT,
    -- What a staff member is asked to type next in the topic (e.g. an override reason).
    pending_input TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX desk_leads_owner ON desk_leads (owner_id);
CREATE INDEX desk_leads_next_call ON desk_leads (next_call_at) WHERE next_call_at IS NOT NULL;

-- Each message carried between the prospect's chat and the lead's topic, both ways, so a
-- reply on one side is a reply on the other and an edit is mirrored.
CREATE TABLE relay_messages (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    prospect_chat_id INTEGER NOT NULL,
    prospect_message_id INTEGER NOT NULL,
    staff_chat_id INTEGER NOT NULL,
    staff_message_id INTEGER NOT NULL,
    at TEXT NOT NULL
);

CREATE UNIQUE INDEX relay_messages_prospect
    ON relay_messages (prospect_chat_id, prospect_message_id);
CREATE UNIQUE INDEX relay_messages_staff ON relay_messages (staff_chat_id, staff_message_id);

-- A time limit on a lead: due in working time, met, or breached and climbing the ladder.
-- kind: take / first_contact / reply / next_call. One open deadline per lead and kind.
CREATE TABLE desk_deadlines (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    met_at TEXT,
    breached_at TEXT,
    -- 0: not breached; 1: the owner nudged; 2: the head of sales told.
    rung INTEGER NOT NULL DEFAULT 0,
    next_rung_at TEXT,
    client_told_at TEXT
);

CREATE UNIQUE INDEX desk_deadlines_open ON desk_deadlines (lead_id, kind) WHERE met_at IS NULL;
CREATE INDEX desk_deadlines_due ON desk_deadlines (due_at) WHERE met_at IS NULL;

-- Answers staff saved with /kb add, on top of the knowledge-base file.
CREATE TABLE knowledge_answers (
    id INTEGER PRIMARY KEY,
    language TEXT NOT NULL,
    question TEXT NOT NULL,
    keywords TEXT NOT NULL,
    answer TEXT NOT NULL,
    added_by INTEGER NOT NULL,
    added_at TEXT NOT NULL
);
