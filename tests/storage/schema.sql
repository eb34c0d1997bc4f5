CREATE TRIGGER appointments_daily_cap_insert BEFORE INSERT ON appointments
WHEN NEW.status = 'booked'
     AND (SELECT daily_cap FROM managers WHERE id = NEW.manager_id) IS NOT NULL
     AND (SELECT COUNT(*) FROM appointments
          WHERE manager_id = NEW.manager_id AND manager_day = NEW.manager_day
            AND status = 'booked')
         >= (SELECT daily_cap FROM managers WHERE id = NEW.manager_id)
BEGIN
    SELECT RAISE(ABORT, 'manager_day_full');
END;

CREATE TRIGGER appointments_daily_cap_move BEFORE UPDATE OF manager_day ON appointments
WHEN NEW.status = 'booked' AND NEW.manager_day <> OLD.manager_day
     AND (SELECT daily_cap FROM managers WHERE id = NEW.manager_id) IS NOT NULL
     AND (SELECT COUNT(*) FROM appointments
          WHERE manager_id = NEW.manager_id AND manager_day = NEW.manager_day
            AND status = 'booked' AND id <> NEW.id)
         >= (SELECT daily_cap FROM managers WHERE id = NEW.manager_id)
BEGIN
    SELECT RAISE(ABORT, 'manager_day_full');
END;

CREATE TRIGGER site_cells_capacity BEFORE INSERT ON site_cells
WHEN (SELECT COUNT(*) FROM site_cells WHERE site_id = NEW.site_id AND cell = NEW.cell)
     >= (SELECT capacity FROM sites WHERE id = NEW.site_id)
BEGIN
    SELECT RAISE(ABORT, 'site_full');
END;

CREATE TABLE api_idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    manager_id INTEGER NOT NULL REFERENCES managers (id),
    site_id INTEGER NOT NULL REFERENCES sites (id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    -- The manager's local date, for the daily cap.
    manager_day TEXT NOT NULL,
    status TEXT NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    confirmed_at TEXT,
    caldav_sequence INTEGER,
    caldav_attempts INTEGER NOT NULL DEFAULT 0,
    caldav_next_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE bot_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

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
, title TEXT, personal INTEGER NOT NULL DEFAULT 0, removed_at TEXT, stage_title TEXT);

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
, overdue_rung INTEGER NOT NULL DEFAULT 0, next_rung_at TEXT, summary_due_at TEXT);

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
, opened_by INTEGER, closed_by INTEGER, outcome TEXT);

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

CREATE TABLE desk_staff (
    telegram_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

CREATE TABLE destruction_records (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL,
    destroyed_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    destroyed_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    categories TEXT NOT NULL,
    system TEXT NOT NULL,
    event_log TEXT NOT NULL,
    keep_until TEXT NOT NULL
);

CREATE TABLE document_intake (
    lead_id INTEGER PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    chosen TEXT,
    -- The held files as a JSON list (ids, name, mime, size, the client's message id).
    held TEXT,
    -- The document the held files are, once known (waiting for the consent).
    held_document TEXT,
    -- The album (media group) of the last file, and the document it was taken as: the
    -- album's other pages arrive as separate messages and are the same document.
    album TEXT,
    album_document TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE document_outbox (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    document_id INTEGER REFERENCES deal_documents (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('review', 'download', 'client', 'staff', 'unpost')),
    text TEXT,
    markup TEXT,
    -- For 'unpost': the message to delete (the document row may be gone by then).
    chat_id INTEGER,
    message_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT
);

CREATE TABLE erased_leads (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    verdict TEXT,
    source TEXT NOT NULL,
    checklist_id TEXT NOT NULL,
    checklist_version INTEGER NOT NULL,
    created_on TEXT NOT NULL,
    erased_on TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE event_consumers (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE fsm_state (
    storage_key TEXT PRIMARY KEY,
    state TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TEXT NOT NULL
);

CREATE TABLE knowledge_answers (
    id INTEGER PRIMARY KEY,
    language TEXT NOT NULL,
    question TEXT NOT NULL,
    keywords TEXT NOT NULL,
    answer TEXT NOT NULL,
    added_by INTEGER NOT NULL,
    added_at TEXT NOT NULL
);

CREATE TABLE lead_answers (
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (lead_id, question_id)
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
, manager_id INTEGER REFERENCES managers (id) ON DELETE SET NULL, route_code TEXT, route_params TEXT NOT NULL DEFAULT '{}', routed_at TEXT, callback_note TEXT, callback_requested_at TEXT, card_stale_at TEXT);

CREATE TABLE manager_blocks (
    manager_id INTEGER NOT NULL REFERENCES managers (id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL
);

CREATE TABLE manager_cells (
    manager_id INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    PRIMARY KEY (manager_id, cell)
) WITHOUT ROWID;

CREATE TABLE manager_invites (
    code TEXT PRIMARY KEY,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    manager_id INTEGER REFERENCES managers (id) ON DELETE SET NULL
);

CREATE TABLE managers (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    schedule TEXT NOT NULL,
    covers TEXT NOT NULL DEFAULT '["*"]',
    site_id INTEGER REFERENCES sites (id),
    daily_cap INTEGER CHECK (daily_cap IS NULL OR daily_cap >= 1),
    weight INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 1),
    status TEXT NOT NULL DEFAULT 'active',
    feed_token TEXT UNIQUE,
    caldav_url TEXT,
    caldav_username TEXT,
    caldav_password TEXT,
    caldav_error TEXT,
    caldav_synced_at TEXT,
    assigned INTEGER NOT NULL DEFAULT 0,
    last_assigned_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

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

CREATE TABLE payment_serial (id INTEGER PRIMARY KEY AUTOINCREMENT);

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
, claims INTEGER NOT NULL DEFAULT 0, overdue_rung INTEGER NOT NULL DEFAULT 0);

CREATE TABLE processed_updates (
    update_id BIGINT PRIMARY KEY,
    received_at TEXT NOT NULL
);

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

CREATE TABLE relay_outbox (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    -- in: the prospect's chat → the topic; out: the topic → the prospect's chat.
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    -- copy: copy the message; edit_text / edit_caption: mirror an edit on the copy;
    -- notice: a line of the bot's own in the topic (text holds it).
    action TEXT NOT NULL CHECK (action IN ('copy', 'edit_text', 'edit_caption', 'notice')),
    -- text / photo / document / voice / sticker / ...: never the text itself.
    kind TEXT NOT NULL,
    from_chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    -- Album items share it and are copied together, with copyMessages.
    media_group_id TEXT,
    -- The message the source replied to, in the source chat.
    reply_to_message_id INTEGER,
    -- For edits: the new text or caption and its entities (JSON); for notices: the line.
    text TEXT,
    entities TEXT,
    -- Who wrote, for the event the copy makes ("staff:<id>").
    actor TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT
);

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    appointment_id INTEGER REFERENCES appointments (id) ON DELETE CASCADE,
    manager_id INTEGER REFERENCES managers (id) ON DELETE CASCADE,
    -- Agenda reminders: the manager-local date they cover.
    for_day TEXT,
    due_at TEXT NOT NULL,
    not_after TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    done_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);

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

CREATE TABLE sales_desk_leads (
    lead_id INTEGER PRIMARY KEY,
    crm_id TEXT,
    since_event_id INTEGER NOT NULL
);

CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE site_cells (
    site_id INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, cell, appointment_id)
) WITHOUT ROWID;

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    timezone TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1),
    active INTEGER NOT NULL DEFAULT 1
);

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

CREATE INDEX appointments_manager ON appointments (manager_id, starts_at);

CREATE UNIQUE INDEX appointments_one_open_per_lead ON appointments (lead_id)
WHERE status = 'booked';

CREATE INDEX appointments_site ON appointments (site_id, starts_at);

CREATE INDEX client_messages_due ON client_messages (due_at) WHERE state = 'pending';

CREATE UNIQUE INDEX consents_live ON consents (telegram_user_id, purpose)
    WHERE withdrawn_at IS NULL;

CREATE INDEX consents_person ON consents (telegram_user_id, purpose);

CREATE INDEX deal_documents_lead ON deal_documents (lead_id, stage, document);

CREATE UNIQUE INDEX deal_documents_message ON deal_documents (lead_id, client_message_id);

CREATE INDEX deal_notices_due ON deal_notices (next_try_at) WHERE done_at IS NULL;

CREATE UNIQUE INDEX deal_notices_once
    ON deal_notices (lead_id, stage_since, rung, audience, target);

CREATE INDEX deals_rung ON deals (next_rung_at)
    WHERE closed_at IS NULL AND next_rung_at IS NOT NULL;

CREATE INDEX deals_summary ON deals (summary_due_at) WHERE summary_due_at IS NOT NULL;

CREATE INDEX desk_deadlines_due ON desk_deadlines (due_at) WHERE met_at IS NULL;

CREATE UNIQUE INDEX desk_deadlines_open ON desk_deadlines (lead_id, kind) WHERE met_at IS NULL;

CREATE UNIQUE INDEX desk_deadlines_opened_by ON desk_deadlines (lead_id, kind, opened_by);

CREATE INDEX desk_deadlines_rung ON desk_deadlines (next_rung_at)
    WHERE met_at IS NULL AND next_rung_at IS NOT NULL;

CREATE INDEX desk_leads_next_call ON desk_leads (next_call_at) WHERE next_call_at IS NOT NULL;

CREATE INDEX desk_leads_owner ON desk_leads (owner_id);

CREATE INDEX destruction_records_keep ON destruction_records (keep_until);

CREATE INDEX document_outbox_due ON document_outbox (due_at) WHERE state = 'pending';

CREATE INDEX events_lead ON events (lead_id, id);

CREATE INDEX events_type_at ON events (type, at);

CREATE INDEX leads_status ON leads (status);

CREATE INDEX leads_unposted ON leads (staff_posted_at) WHERE staff_posted_at IS NULL;

CREATE INDEX manager_blocks_manager ON manager_blocks (manager_id, starts_at);

CREATE INDEX manager_cells_appointment ON manager_cells (appointment_id);

CREATE INDEX nurture_state_due ON nurture_state (due_at)
    WHERE due_at IS NOT NULL AND stopped_at IS NULL;

CREATE INDEX payment_notices_due ON payment_notices (next_try_at) WHERE done_at IS NULL;

CREATE UNIQUE INDEX payment_notices_once
    ON payment_notices (payment_id, kind, step, audience, target);

CREATE INDEX payments_lead ON payments (lead_id, due_on);

CREATE INDEX payments_open ON payments (due_on) WHERE status <> 'paid';

CREATE INDEX processed_updates_received_at ON processed_updates (received_at);

CREATE UNIQUE INDEX relay_messages_prospect
    ON relay_messages (prospect_chat_id, prospect_message_id);

CREATE UNIQUE INDEX relay_messages_staff ON relay_messages (staff_chat_id, staff_message_id);

CREATE INDEX relay_outbox_album ON relay_outbox (lead_id, media_group_id)
    WHERE media_group_id IS NOT NULL AND state = 'pending';

CREATE INDEX relay_outbox_due ON relay_outbox (due_at, id) WHERE state = 'pending';

CREATE UNIQUE INDEX relay_outbox_once ON relay_outbox (direction, from_chat_id, message_id)
    WHERE action = 'copy';

CREATE INDEX reminders_appointment ON reminders (appointment_id);

CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'pending';

CREATE UNIQUE INDEX reminders_one_agenda_a_day ON reminders (manager_id, for_day)
WHERE kind = 'agenda' AND state <> 'cancelled';

CREATE INDEX sales_desk_pending ON sales_desk_deliveries (lead_id, event_id)
WHERE state = 'pending';

CREATE INDEX sales_desk_state ON sales_desk_deliveries (state, event_id);

CREATE INDEX site_cells_appointment ON site_cells (appointment_id);

CREATE INDEX sla_notices_due ON sla_notices (next_try_at) WHERE done_at IS NULL;

CREATE UNIQUE INDEX sla_notices_once ON sla_notices (deadline_id, rung, audience, target);
