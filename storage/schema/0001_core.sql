-- The engine's tables: spaces and their chats, members and their identities,
-- the update-dedupe record, the outbox, and a small key-value store for transport state.
-- Instants are UTC text 'YYYY-MM-DDTHH:MM:SSZ'; local dates are 'YYYY-MM-DD'.

CREATE TABLE spaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Europe/Rome',
    language TEXT NOT NULL DEFAULT 'it',
    currency TEXT NOT NULL DEFAULT 'EUR',
    capacity INTEGER,
    closing_time TEXT,
    reminder_time TEXT NOT NULL DEFAULT '09:00',
    join_policy TEXT NOT NULL DEFAULT 'approval' CHECK (join_policy IN ('open', 'approval')),
    escalate_after_minutes INTEGER NOT NULL DEFAULT 240,
    expire_after_days INTEGER NOT NULL DEFAULT 7,
    remind_days_before INTEGER NOT NULL DEFAULT 3,
    nag_every_days INTEGER NOT NULL DEFAULT 7,
    config_json TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE space_chats (
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id),
    UNIQUE (space_id, platform)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'left')),
    language TEXT,
    visibility TEXT NOT NULL DEFAULT 'visible' CHECK (visibility IN ('visible', 'hidden')),
    shares INTEGER NOT NULL DEFAULT 1,
    joined_at TEXT,
    left_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX members_space ON members (space_id, status);

CREATE TABLE identities (
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (space_id, identity)
);
CREATE INDEX identities_identity ON identities (identity);
CREATE INDEX identities_member ON identities (member_id);

CREATE TABLE processed_updates (
    update_key TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
);
CREATE INDEX processed_updates_at ON processed_updates (processed_at);

-- AUTOINCREMENT: an id is never reused, even after housekeeping deleted the newest
-- rows, because transports derive idempotency keys from it (Matrix transaction ids).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    private INTEGER NOT NULL,
    html TEXT NOT NULL,
    buttons TEXT NOT NULL DEFAULT '[]',
    reply_to TEXT NOT NULL DEFAULT '',
    doc_name TEXT,
    doc_mime TEXT,
    doc_content BLOB,
    space_id INTEGER REFERENCES spaces(id) ON DELETE SET NULL,
    member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    delivery_id TEXT,
    error TEXT
);
CREATE INDEX outbox_pending ON outbox (state, platform, next_attempt_at);
CREATE INDEX outbox_chat ON outbox (platform, chat_id, state, id);

CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
