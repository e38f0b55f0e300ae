-- The space on the web and in the building (handlers/web/): each space's name in URLs,
-- its opening hours and SpaceAPI details, its open/closed state, the presence hook's
-- token, members' devices, and members' private calendar feeds.

-- `slug` names the space in its URLs (/spaces/<slug>/): from the config, else made
-- from the name once and kept, so renaming the space does not break a router's script.
ALTER TABLE spaces ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX spaces_slug ON spaces (slug);
-- A device not seen for this long checks its member out (at the time it was last seen).
ALTER TABLE spaces ADD COLUMN away_after_minutes INTEGER NOT NULL DEFAULT 10;
-- Normalised text, e.g. 'mon-fri 09:00-19:00; sat 10:00-13:00' (bot/hours.py); '' = none.
ALTER TABLE spaces ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '';
-- SpaceAPI details from the config (website, logo, address, lat, lon, contact), as JSON.
ALTER TABLE spaces ADD COLUMN web_json TEXT;

-- Two CHECK constraints widen, so old rows stay valid: a member may now choose to be
-- named on public pages ('public'), and a visit may be closed by its member's device
-- leaving ('device'). SQLite changes a CHECK by editing the stored schema text, the
-- procedure its ALTER TABLE documentation gives for changing constraints
-- (https://www.sqlite.org/lang_altertable.html#otheralter); rebuilding the tables
-- instead would cascade deletes into every table that refers to them.
-- sqlite only
PRAGMA writable_schema = ON;
-- sqlite only
UPDATE sqlite_master
SET sql = replace(sql, 'CHECK (visibility IN (''visible'', ''hidden''))',
                  'CHECK (visibility IN (''visible'', ''hidden'', ''public''))')
WHERE type = 'table' AND name = 'members';
-- sqlite only
UPDATE sqlite_master
SET sql = replace(sql, 'CHECK (closed_by IN (''member'', ''closing'', ''midnight'', ''admin''))',
                  'CHECK (closed_by IN (''member'', ''closing'', ''midnight'', ''admin'', ''device''))')
WHERE type = 'table' AND name = 'visits';
-- sqlite only
PRAGMA writable_schema = RESET;
-- PostgreSQL names a column's CHECK <table>_<column>_check when the table is made (visits
-- was made as visits_new by 0013) and changes it with ALTER TABLE.
-- postgresql only
ALTER TABLE members DROP CONSTRAINT members_visibility_check,
    ADD CONSTRAINT members_visibility_check
    CHECK (visibility IN ('visible', 'hidden', 'public'));
-- postgresql only
ALTER TABLE visits DROP CONSTRAINT IF EXISTS visits_new_closed_by_check,
    DROP CONSTRAINT IF EXISTS visits_closed_by_check,
    ADD CONSTRAINT visits_closed_by_check
    CHECK (closed_by IN ('member', 'closing', 'midnight', 'admin', 'device'));

-- Open or closed, since when and why: replayed forward from visits by
-- handlers/web/state.py (a check-in opens, the last check-out closes) and set by
-- /open and /close. `changed_by` is checkin, member, closing, midnight, device, open
-- or close; `member_id` who did it, if anyone.
CREATE TABLE space_state (
    space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
    is_open INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    member_id INTEGER REFERENCES members(id) ON DELETE SET NULL
);

-- The presence hook's bearer token: only its SHA-256 is kept, as for link codes.
CREATE TABLE presence_tokens (
    space_id INTEGER PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A member's device as the router or Home Assistant names it (a MAC address, an
-- entity id), registered by the member. `present` is what the last report said;
-- `last_seen_at` when it was last known to be in (a present report, or the absent
-- report that ended its stay).
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    present INTEGER NOT NULL DEFAULT 0,
    last_seen_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (space_id, device)
);
CREATE INDEX devices_member ON devices (member_id);

-- A member's secret calendar feed: only the SHA-256 of its token is kept.
CREATE TABLE calendar_feeds (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
