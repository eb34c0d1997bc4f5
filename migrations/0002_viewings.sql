-- Viewings: sites, sales managers, their bookings, calendar sync and reminders.
-- Times are UTC ISO-8601 strings; booking cells are unix seconds (see bot/domain/slots.py).

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

CREATE TABLE manager_invites (
    code TEXT PRIMARY KEY,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    manager_id INTEGER REFERENCES managers (id) ON DELETE SET NULL
);

-- Events from a manager's own calendar (CalDAV) that block their time.
CREATE TABLE manager_blocks (
    manager_id INTEGER NOT NULL REFERENCES managers (id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL
);

CREATE INDEX manager_blocks_manager ON manager_blocks (manager_id, starts_at);

ALTER TABLE leads ADD COLUMN manager_id INTEGER REFERENCES managers (id) ON DELETE SET NULL;
ALTER TABLE leads ADD COLUMN route_code TEXT;
ALTER TABLE leads ADD COLUMN route_params TEXT NOT NULL DEFAULT '{}';
ALTER TABLE leads ADD COLUMN routed_at TEXT;
ALTER TABLE leads ADD COLUMN callback_note TEXT;
ALTER TABLE leads ADD COLUMN callback_requested_at TEXT;

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

CREATE INDEX appointments_manager ON appointments (manager_id, starts_at);
CREATE INDEX appointments_site ON appointments (site_id, starts_at);
CREATE UNIQUE INDEX appointments_one_open_per_lead ON appointments (lead_id)
WHERE status = 'booked';

-- The constraint that makes booking atomic: a manager's time is made of cells, and a
-- cell belongs to at most one viewing (its length plus the buffer after it).
CREATE TABLE manager_cells (
    manager_id INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    PRIMARY KEY (manager_id, cell)
) WITHOUT ROWID;

CREATE INDEX manager_cells_appointment ON manager_cells (appointment_id);

-- A site holds at most `capacity` viewings in any cell.
CREATE TABLE site_cells (
    site_id INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, cell, appointment_id)
) WITHOUT ROWID;

CREATE INDEX site_cells_appointment ON site_cells (appointment_id);

CREATE TRIGGER site_cells_capacity BEFORE INSERT ON site_cells
WHEN (SELECT COUNT(*) FROM site_cells WHERE site_id = NEW.site_id AND cell = NEW.cell)
     >= (SELECT capacity FROM sites WHERE id = NEW.site_id)
BEGIN
    SELECT RAISE(ABORT, 'site_full');
END;

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

CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'pending';
CREATE INDEX reminders_appointment ON reminders (appointment_id);
CREATE UNIQUE INDEX reminders_one_agenda_a_day ON reminders (manager_id, for_day)
WHERE kind = 'agenda' AND state <> 'cancelled';
