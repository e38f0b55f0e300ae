-- The common fund of a space (handlers/fund/): who holds it and the bank details shares
-- are paid to, every movement that is not a share payment (bills paid from it, money
-- members fronted, reimbursements, deposits, transfers between members), how a fronted
-- expense is split, and the receipts kept with them.
-- Confirmed share payments (payments) are the fund's income; nothing here repeats them.
-- Money is integer minor units; local dates are 'YYYY-MM-DD'. Like the costs ledger, rows
-- refer to members without ON DELETE CASCADE: erasing a member anonymises, never deletes.

CREATE TABLE fund_settings (
    space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
    -- NULL: the space's first admin holds the fund.
    treasurer_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    iban TEXT,
    payee TEXT,
    epc_qr INTEGER NOT NULL DEFAULT 0 CHECK (epc_qr IN (0, 1))
);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    sent_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX receipts_space ON receipts (space_id);

CREATE TABLE fund_entries (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    -- bill: the fund paid a supplier (cost_id); spent: member_id paid for the group;
    -- reimburse: the fund paid member_id; deposit: member_id paid into the fund;
    -- transfer: member_id paid other_id directly.
    kind TEXT NOT NULL CHECK (kind IN ('bill', 'spent', 'reimburse', 'deposit', 'transfer')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    member_id INTEGER REFERENCES members(id),
    other_id INTEGER REFERENCES members(id),
    cost_id INTEGER REFERENCES costs(id) ON DELETE SET NULL,
    note TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    receipt_id INTEGER REFERENCES receipts(id) ON DELETE SET NULL,
    recorded_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    CHECK ((kind = 'bill') = (member_id IS NULL)),
    CHECK ((kind = 'transfer') = (other_id IS NOT NULL))
);
CREATE INDEX fund_entries_space ON fund_entries (space_id, on_date);
CREATE INDEX fund_entries_member ON fund_entries (member_id);
CREATE INDEX fund_entries_other ON fund_entries (other_id) WHERE other_id IS NOT NULL;

-- A fronted expense split among members (`spent … for`): each part is owed to the one
-- who paid. The parts add up to the entry's amount.
CREATE TABLE fund_splits (
    entry_id INTEGER NOT NULL REFERENCES fund_entries(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (entry_id, member_id)
);
CREATE INDEX fund_splits_member ON fund_splits (member_id);

-- Costs that change or end without touching the charges already made: an end date
-- (no charge falls due after it) and one new amount waiting for its first due date.
ALTER TABLE costs ADD COLUMN ends_on TEXT;
ALTER TABLE costs ADD COLUMN next_amount INTEGER CHECK (next_amount > 0);
ALTER TABLE costs ADD COLUMN next_amount_from TEXT;
