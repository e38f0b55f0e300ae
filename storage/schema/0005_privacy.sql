-- Privacy: one-time codes that link a second platform's account to a member, the
-- record of erasures, and delivered messages still to be wiped.

-- Only the SHA-256 of a code is kept, so a copy of the database holds no usable code.
-- `identity` is the account that asked for it (told when the code is used); `platform`
-- is its platform, since the code must come back from another one. A code is valid
-- until `expires_at` and once: `used_at` is set in the transaction that links.
CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX link_codes_member ON link_codes (member_id);
CREATE INDEX link_codes_expires ON link_codes (expires_at);

-- A member erased by `forgetme`. The members row itself stays, nameless and without
-- identities, as the anonymous placeholder that ledger rows (visits, kudos, costs) keep
-- pointing at; this says when, so nothing mistakes it for a person who merely left.
CREATE TABLE erasures (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    erased_at TEXT NOT NULL
);

-- Outbox rows to blank once delivered: the goodbye after `forgetme` is addressed to
-- the erased account, and messages still queued may name the person. Rows are blanked,
-- not deleted, so an outbox id (a Matrix transaction id) is never used twice.
CREATE TABLE outbox_wipe (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
    added_at TEXT NOT NULL
);
