-- Privacy: what an erasure leaves behind. Nothing here names or identifies the person.

-- One row per erased lead, for the funnel numbers: no ids of the person, dates only.
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

-- The destruction act (Roskomnadzor order No. 179 of 28.10.2022): what categories were
-- destroyed, when, on whose request and why, with an export of the lead's event log without
-- personal data. Kept 3 years (keep_until), then purged.
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

CREATE INDEX destruction_records_keep ON destruction_records (keep_until);
