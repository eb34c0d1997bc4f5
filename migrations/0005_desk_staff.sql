-- Staff-group members the bot has seen (a card button pressed, a message written), with
-- their names, so "Assign ▸" can offer lead-managers by name.
CREATE TABLE desk_staff (
    telegram_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
