-- Document intake and review (the deal's documents). What deal_documents lacks: the title
-- staff saw (the card shows it without the deal file), whether the document is personal
-- (passport, SNILS: removed when the documents consent is withdrawn), and when it was.
ALTER TABLE deal_documents ADD COLUMN title TEXT;
ALTER TABLE deal_documents ADD COLUMN personal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deal_documents ADD COLUMN removed_at TEXT;
-- One row per client message: Telegram may hand the same update over twice.
CREATE UNIQUE INDEX deal_documents_message ON deal_documents (lead_id, client_message_id);

-- Where a client's intake stands: the document their next file is ("📎 Send: …"), and
-- files held while the bot asks which document they are or for the documents consent.
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

-- What the bot owes people about documents, written with the change and carried out by a
-- job: the copy into the lead's topic for review, a download into DOCUMENTS_DIR, a notice
-- to the client or into the topic, the removal of a review copy.
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

CREATE INDEX document_outbox_due ON document_outbox (due_at) WHERE state = 'pending';
