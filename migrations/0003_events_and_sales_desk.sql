-- One event log for every change of a lead, consumers that read it in order, the
-- sales-desk outbox, messages the sales desk sends to clients, and API idempotency.

-- No foreign key to leads: `lead.erased` (and what the CRM must still hear) outlives the lead.
-- `data` holds the facts of the change only (statuses, ids, times), never personal data.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX events_lead ON events (lead_id, id);

INSERT INTO events (lead_id, type, at, actor, data)
SELECT lead_id,
       CASE WHEN from_status IS NULL THEN 'lead.created' ELSE 'lead.status_changed' END,
       at, actor,
       json_object('from', from_status, 'to', to_status, 'reason', reason)
FROM lead_events ORDER BY id;

DROP TABLE lead_events;

-- Each consumer's position in `events`. Existing installs start at the head: the
-- history before this migration has already been shown on cards and is not pushed.
CREATE TABLE event_consumers (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

INSERT INTO event_consumers (name, position, updated_at)
SELECT name, (SELECT COALESCE(MAX(id), 0) FROM events), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM (SELECT 'staff_card' AS name UNION ALL SELECT 'sales_desk');

-- A card edit that failed (Telegram down); the card job retries it.
ALTER TABLE leads ADD COLUMN card_stale_at TEXT;

-- Leads the sales desk hears about, and the CRM's id for each. No foreign key: the
-- CRM is told of an erasure after the lead is gone.
CREATE TABLE sales_desk_leads (
    lead_id INTEGER PRIMARY KEY,
    crm_id TEXT,
    since_event_id INTEGER NOT NULL
);

-- One row per event to deliver; delivered in order per lead.
CREATE TABLE sales_desk_deliveries (
    event_id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    -- Every request made; refusals only count answers that refused this very event.
    attempts INTEGER NOT NULL DEFAULT 0,
    refusals INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    first_failed_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE INDEX sales_desk_pending ON sales_desk_deliveries (lead_id, event_id)
WHERE state = 'pending';
CREATE INDEX sales_desk_state ON sales_desk_deliveries (state, event_id);

-- Messages to a client from the sales desk (or staff), sent by a job at `due_at`.
CREATE TABLE client_messages (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    actor TEXT NOT NULL,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    sent_at TEXT
);

CREATE INDEX client_messages_due ON client_messages (due_at) WHERE state = 'pending';

-- Answers to POSTs with an Idempotency-Key, per API token (a hash of it).
-- status NULL: the first request with this key is still running.
CREATE TABLE api_idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
