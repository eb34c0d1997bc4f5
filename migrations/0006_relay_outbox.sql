-- What the relay still has to carry between a prospect's chat and the lead's topic. A row is
-- written in the transaction that accepts the message and carried out by a worker, so a
-- restart or a Telegram outage delays a copy but never loses it. Rows go with the lead.
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

CREATE INDEX relay_outbox_due ON relay_outbox (due_at, id) WHERE state = 'pending';
CREATE INDEX relay_outbox_album ON relay_outbox (lead_id, media_group_id)
    WHERE media_group_id IS NOT NULL AND state = 'pending';
-- An update Telegram delivers twice (a restart before it was confirmed) is copied once.
CREATE UNIQUE INDEX relay_outbox_once ON relay_outbox (direction, from_chat_id, message_id)
    WHERE action = 'copy';
