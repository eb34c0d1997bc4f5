-- Deal support after the viewing (the deal timeline file says which stages exist), the
-- client's payment schedule and documents, and the consent ledger (one row per consent
-- document a person accepted, per purpose). Tables of jobs and notices come with the code
-- that sends them.

-- One deal per lead. `stage` is a stage id of the deal file named by timeline_id/version;
-- facts are the deal's yes/no conditions (mortgage, married, ...), as JSON.
CREATE TABLE deals (
    lead_id INTEGER PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    timeline_id TEXT NOT NULL,
    timeline_version INTEGER NOT NULL,
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    -- When the stage is expected to be over; overdue after it (NULL: no limit).
    stage_due_at TEXT,
    facts TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    closed_at TEXT,
    -- The pinned deal summary in the lead's topic, edited on every move.
    summary_chat_id INTEGER,
    summary_message_id INTEGER,
    updated_at TEXT NOT NULL
);

-- A document the client sent for a stage: Telegram's file id, not a copy (a copy only
-- under DOCUMENTS_DIR). A rejected document stays as a row; the client sends a new one.
CREATE TABLE deal_documents (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    document TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    file_id TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    file_name TEXT,
    mime_type TEXT,
    file_size INTEGER,
    stored_path TEXT,
    client_message_id INTEGER NOT NULL,
    staff_chat_id INTEGER,
    staff_message_id INTEGER,
    received_at TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by INTEGER,
    reject_reason TEXT
);

CREATE INDEX deal_documents_lead ON deal_documents (lead_id, stage, document);

-- The payment schedule: due_on is the client's local date (YYYY-MM-DD), amounts in
-- minor units (kopecks). due → claimed (the client pressed "I've paid") → paid, or back
-- to due when the receivables specialist answers "not received".
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    due_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL DEFAULT 'RUB',
    label TEXT,
    status TEXT NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'claimed', 'paid')),
    claimed_at TEXT,
    paid_at TEXT,
    confirmed_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX payments_lead ON payments (lead_id, due_on);
CREATE INDEX payments_open ON payments (due_on) WHERE status <> 'paid';

-- The consent ledger (152-FZ art. 9: the operator proves consent). purpose: processing,
-- crm_transfer, marketing, documents. The text itself is the catalog's at `version`; its
-- SHA-256 proves which words were shown. A withdrawn consent keeps its row.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL,
    lead_id INTEGER REFERENCES leads (id) ON DELETE SET NULL,
    purpose TEXT NOT NULL
        CHECK (purpose IN ('processing', 'crm_transfer', 'marketing', 'documents')),
    version TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    language TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'telegram',
    message_id INTEGER,
    given_at TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_by TEXT
);

CREATE INDEX consents_person ON consents (telegram_user_id, purpose);
-- At most one live consent per person and purpose.
CREATE UNIQUE INDEX consents_live ON consents (telegram_user_id, purpose)
    WHERE withdrawn_at IS NULL;
