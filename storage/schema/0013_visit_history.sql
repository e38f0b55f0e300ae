-- Visits can be corrected: by their member (/checkin 09:00, /checkout 18:30) and by an
-- admin (/visit fix, /visit remove). Every change is kept, so exports show what was
-- recorded and what was changed, by whom and when; a removed visit keeps its history.

-- closed_by gains 'admin' (a visit an admin ended or fixed, or closed by /remove).
-- SQLite cannot change a CHECK in place: the table is rebuilt with its rows and ids.
CREATE TABLE visits_new (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    checkin_at TEXT NOT NULL,
    checkout_at TEXT,
    closed_by TEXT CHECK (closed_by IN ('member', 'closing', 'midnight', 'admin')),
    note TEXT NOT NULL DEFAULT ''
);
INSERT INTO visits_new (id, space_id, member_id, local_date, checkin_at, checkout_at,
    closed_by, note)
    SELECT id, space_id, member_id, local_date, checkin_at, checkout_at, closed_by, note
    FROM visits;
DROP TABLE visits;
ALTER TABLE visits_new RENAME TO visits;
CREATE UNIQUE INDEX visits_one_open ON visits (member_id) WHERE checkout_at IS NULL;
CREATE INDEX visits_space_day ON visits (space_id, local_date);
CREATE INDEX visits_member_day ON visits (member_id, local_date);
CREATE INDEX visits_open_space ON visits (space_id, checkin_at) WHERE checkout_at IS NULL;

-- One row per change: the times before (none when the visit was added) and after (none
-- when it was removed). visit_id has no foreign key: a removed visit's rows stay.
CREATE TABLE visit_changes (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    old_checkin_at TEXT,
    old_checkout_at TEXT,
    new_checkin_at TEXT,
    new_checkout_at TEXT,
    changed_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX visit_changes_space_day ON visit_changes (space_id, local_date);
CREATE INDEX visit_changes_member ON visit_changes (member_id);
