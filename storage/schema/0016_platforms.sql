-- What the platforms really do: threads and topics, chats that move, rooms the bot was
-- put out of, and announcements that may be merged when a group's queue is backlogged.

-- The thread or topic a message goes to: a Telegram forum topic (message_thread_id),
-- a Matrix thread root; '' for the chat's main timeline (Telegram's General topic).
ALTER TABLE outbox ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
-- Rows with the same `merge_kind` waiting one after another for the same chat may go
-- out as one message (check-ins, welcomes): NULL for every other row.
ALTER TABLE outbox ADD COLUMN merge_kind TEXT;

-- The topic of a forum group that posts which are not replies go to ('' = General).
ALTER TABLE space_chats ADD COLUMN topic TEXT NOT NULL DEFAULT '';

-- A chat that moved: a Telegram group upgraded to a supergroup (its id changed), a
-- Matrix room upgraded to a new room. Buttons shown in the old chat stay valid.
CREATE TABLE chat_moves (
    platform TEXT NOT NULL,
    old_chat_id TEXT NOT NULL,
    new_chat_id TEXT NOT NULL,
    moved_at TEXT NOT NULL,
    PRIMARY KEY (platform, old_chat_id)
);
CREATE INDEX chat_moves_new ON chat_moves (platform, new_chat_id);

-- Matrix rooms the bot was kicked or banned from: never joined again by itself, only
-- when someone invites it back.
CREATE TABLE matrix_removed (
    room_id TEXT PRIMARY KEY,
    membership TEXT NOT NULL CHECK (membership IN ('leave', 'ban')),
    by_user TEXT NOT NULL,
    removed_at TEXT NOT NULL
);
