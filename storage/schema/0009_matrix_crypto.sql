-- matrix_crypto: what end-to-end encryption needs beside nio's own crypto store
-- (data_dir/matrix-crypto/). No decrypted text is ever stored here.

-- An encrypted event the bot could not decrypt yet, because its room key has not
-- arrived: kept as the server sent it (ciphertext), retried when keys come, and given
-- up after a while with a word to the sender. Erased with the sender by `forgetme`.
CREATE TABLE matrix_undecrypted (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    session_id TEXT NOT NULL,
    event_json TEXT NOT NULL,
    parked_at TEXT NOT NULL
);
CREATE INDEX matrix_undecrypted_sender ON matrix_undecrypted (sender);

-- Replay guard: the Megolm message index of every decrypted event handed to the bot.
-- The same (sender key, session, index) under another event id is a replayed
-- ciphertext and never runs. nio keeps this in memory only; here it outlives restarts.
CREATE TABLE matrix_megolm_seen (
    sender_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    message_index INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (sender_key, session_id, message_index)
);
CREATE INDEX matrix_megolm_seen_at ON matrix_megolm_seen (seen_at);
CREATE INDEX matrix_megolm_seen_sender ON matrix_megolm_seen (sender);

-- Filled only in the copy `coworkbot backup` writes: the files of the bot's Matrix
-- device (login, Olm account and sessions) so that restoring the database file
-- restores the device. The bot moves them back into data_dir at its next start and
-- empties this table.
CREATE TABLE matrix_identity_backup (
    name TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
