-- Shared costs: recurring or one-off expenses, the charge each due date makes, one
-- share per member, the payments that settle shares, and the record of every
-- reminder and summary sent, so each goes out once even across restarts.
-- Money is integer minor units of the charge's currency; local dates are 'YYYY-MM-DD'.
-- Ledger rows reference members without ON DELETE CASCADE on purpose: deleting a
-- member must never silently erase what was charged and paid (erasure anonymises).

CREATE TABLE costs (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    every TEXT NOT NULL CHECK (every IN ('monthly', 'yearly', 'once')),
    day INTEGER NOT NULL DEFAULT 0,
    month INTEGER NOT NULL DEFAULT 0,
    once_on TEXT,
    split TEXT NOT NULL CHECK (split IN ('equal', 'attendance', 'shares')),
    -- The next due date still to charge; NULL once a one-off is charged or the cost stops.
    next_due TEXT,
    created_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX costs_next_due ON costs (space_id, next_due);

CREATE TABLE charges (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    cost_id INTEGER NOT NULL REFERENCES costs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    due_on TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    split TEXT NOT NULL CHECK (split IN ('equal', 'attendance', 'shares')),
    created_at TEXT NOT NULL,
    -- A cost is charged at most once per due date, whatever the scheduler does.
    UNIQUE (cost_id, due_on)
);
CREATE INDEX charges_space_due ON charges (space_id, due_on);

CREATE TABLE charge_shares (
    charge_id INTEGER NOT NULL REFERENCES charges(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    weight INTEGER NOT NULL CHECK (weight >= 0),
    days INTEGER NOT NULL CHECK (days >= 0),   -- days as a member within the period
    units INTEGER NOT NULL CHECK (units >= 0), -- visit days, shares, or 1 (equal)
    nagged_on TEXT,                            -- the last reminder day sent for it
    PRIMARY KEY (charge_id, member_id)
);
CREATE INDEX charge_shares_member ON charge_shares (member_id);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    charge_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    state TEXT NOT NULL CHECK (state IN ('declared', 'confirmed')),
    declared_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    confirmed_at TEXT,
    confirmed_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    FOREIGN KEY (charge_id, member_id) REFERENCES charge_shares (charge_id, member_id)
        ON DELETE CASCADE
);
CREATE INDEX payments_share ON payments (charge_id, member_id);
CREATE INDEX payments_pending ON payments (state, charge_id);

CREATE TABLE cost_reminders (
    cost_id INTEGER NOT NULL REFERENCES costs(id) ON DELETE CASCADE,
    due_on TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (cost_id, due_on)
);

CREATE TABLE cost_summaries (
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    month TEXT NOT NULL,  -- 'YYYY-MM' of the 1st the summary belongs to
    sent_at TEXT NOT NULL,
    PRIMARY KEY (space_id, month)
);
