-- Bills and expenses can be taken back (`bill remove`, `spent remove`), which deletes
-- their rows. SQLite gives a plain INTEGER PRIMARY KEY the largest id plus one, so after
-- the newest entry (or receipt) was removed the next would get its number again, and an
-- old message's "#12" would name a different entry. AUTOINCREMENT never reuses an id.
-- SQLite cannot add it in place: the three tables are rebuilt with their rows and ids,
-- each new table referring to the new one above it, so that dropping the old ones
-- cascades into nothing; renaming a table rewrites the references to it.
-- PostgreSQL's identity columns never reuse a value: nothing to do there.

-- sqlite only
CREATE TABLE receipts_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    sent_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
-- sqlite only
INSERT INTO receipts_new (id, space_id, filename, mime_type, size, sha256, content, sent_by,
    created_at)
    SELECT id, space_id, filename, mime_type, size, sha256, content, sent_by, created_at
    FROM receipts;

-- sqlite only
CREATE TABLE fund_entries_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('bill', 'spent', 'reimburse', 'deposit', 'transfer')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    member_id INTEGER REFERENCES members(id),
    other_id INTEGER REFERENCES members(id),
    cost_id INTEGER REFERENCES costs(id) ON DELETE SET NULL,
    note TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    receipt_id INTEGER REFERENCES receipts_new(id) ON DELETE SET NULL,
    recorded_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CHECK ((kind = 'bill') = (member_id IS NULL)),
    CHECK ((kind = 'transfer') = (other_id IS NOT NULL))
);
-- sqlite only
INSERT INTO fund_entries_new (id, space_id, kind, amount, currency, member_id, other_id,
    cost_id, note, on_date, receipt_id, recorded_by, created_at)
    SELECT id, space_id, kind, amount, currency, member_id, other_id, cost_id, note, on_date,
        receipt_id, recorded_by, created_at
    FROM fund_entries;

-- sqlite only
CREATE TABLE fund_splits_new (
    entry_id INTEGER NOT NULL REFERENCES fund_entries_new(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (entry_id, member_id)
);
-- sqlite only
INSERT INTO fund_splits_new (entry_id, member_id, amount)
    SELECT entry_id, member_id, amount FROM fund_splits;

-- sqlite only
DROP TABLE fund_splits;
-- sqlite only
DROP TABLE fund_entries;
-- sqlite only
DROP TABLE receipts;
-- sqlite only
ALTER TABLE receipts_new RENAME TO receipts;
-- sqlite only
ALTER TABLE fund_entries_new RENAME TO fund_entries;
-- sqlite only
ALTER TABLE fund_splits_new RENAME TO fund_splits;

-- sqlite only
CREATE INDEX receipts_space ON receipts (space_id);
-- sqlite only
CREATE INDEX fund_entries_space ON fund_entries (space_id, on_date);
-- sqlite only
CREATE INDEX fund_entries_member ON fund_entries (member_id);
-- sqlite only
CREATE INDEX fund_entries_other ON fund_entries (other_id) WHERE other_id IS NOT NULL;
-- sqlite only
CREATE INDEX fund_splits_member ON fund_splits (member_id);
