CREATE TABLE bot_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE fsm_state (
    storage_key TEXT PRIMARY KEY,
    state TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

CREATE TABLE lead_answers (
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (lead_id, question_id)
);

CREATE TABLE lead_events (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    chat_id INTEGER NOT NULL,
    username TEXT,
    status TEXT NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    checklist_id TEXT NOT NULL,
    checklist_version INTEGER NOT NULL,
    name TEXT,
    phone TEXT,
    score INTEGER,
    max_score INTEGER,
    verdict TEXT,
    reasons TEXT NOT NULL DEFAULT '[]',
    follow_up_at TEXT,
    consent_version TEXT NOT NULL,
    consent_at TEXT NOT NULL,
    unreachable_at TEXT,
    staff_chat_id INTEGER,
    staff_thread_id INTEGER,
    staff_message_id INTEGER,
    staff_posted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    qualified_at TEXT
);

CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX lead_events_lead ON lead_events (lead_id, id);

CREATE INDEX leads_status ON leads (status);

CREATE INDEX leads_unposted ON leads (staff_posted_at) WHERE staff_posted_at IS NULL;
