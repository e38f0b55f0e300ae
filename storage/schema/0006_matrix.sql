-- matrix: the rooms the bot has joined and the direct rooms it keeps for private chats.
-- The sync position itself is a `kv` row (matrix.next_batch:<bot user id>).

-- A joined room. `history_before` is a server timestamp in milliseconds (Matrix
-- `origin_server_ts`): events older than the bot's arrival in the room are history and
-- never run as commands. `encryption_reported` makes the "I cannot read encrypted
-- rooms" notice go out once.
CREATE TABLE matrix_rooms (
    room_id TEXT PRIMARY KEY,
    history_before INTEGER NOT NULL,
    encryption_reported INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL
);

-- The direct room that stands for a user's private chat (ChatRef private, chat_id = user).
CREATE TABLE matrix_direct_rooms (
    user_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX matrix_direct_rooms_room ON matrix_direct_rooms (room_id);
