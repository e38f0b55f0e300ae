-- Presence: visits (a check-in and its check-out) and planned days ("going").
-- local_date is the visit's day in the space's timezone, fixed at check-in, so
-- attendance counts never depend on the server's timezone.

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    checkin_at TEXT NOT NULL,
    checkout_at TEXT,
    closed_by TEXT CHECK (closed_by IN ('member', 'closing', 'midnight')),
    note TEXT NOT NULL DEFAULT ''
);
-- At most one open visit per member, enforced by the database itself.
CREATE UNIQUE INDEX visits_one_open ON visits (member_id) WHERE checkout_at IS NULL;
CREATE INDEX visits_space_day ON visits (space_id, local_date);
CREATE INDEX visits_member_day ON visits (member_id, local_date);

-- A planned day in ("going"): one row per member and day; `who` lists today's.
CREATE TABLE planned_visits (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (member_id, local_date)
);
CREATE INDEX planned_visits_space_day ON planned_visits (space_id, local_date);
