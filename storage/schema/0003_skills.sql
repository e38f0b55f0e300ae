-- Help between peers: skills (tags on members), help requests, who was told about
-- them, and kudos. `tag` is the normalised form used for matching (`contabilita`);
-- `label` is the skill as the member wrote it (`Contabilità`), which is what people see.

CREATE TABLE skills (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, tag)
);
CREATE INDEX skills_space_tag ON skills (space_id, tag);

-- `number` is the #N people see: it counts per space, so every community starts at #1.
-- escalated_at is set in the same transaction as the escalation's messages, so a tick
-- that runs twice or after a restart never escalates again.
CREATE TABLE help_requests (
    id INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    requester_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    skill_tag TEXT NOT NULL,
    skill_label TEXT NOT NULL,
    question TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'claimed', 'resolved', 'cancelled', 'expired')),
    helper_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    claimed_at TEXT,
    closed_at TEXT,
    closed_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    escalated_at TEXT,
    UNIQUE (space_id, number)
);
CREATE INDEX help_requests_state ON help_requests (space_id, state, created_at);

-- Who was told privately about a request, and why: 'match' (has the skill, told at
-- once) or 'escalation' (told because nobody took it in time).
CREATE TABLE help_notices (
    request_id INTEGER NOT NULL REFERENCES help_requests(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('match', 'escalation')),
    rank INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (request_id, member_id, reason)
);

-- One kudos per request at most: request_id is unique, so a second `thanks`
-- cannot count twice even if two arrive at once. Kudos outlive the request's row.
CREATE TABLE kudos (
    id INTEGER PRIMARY KEY,
    request_id INTEGER UNIQUE REFERENCES help_requests(id) ON DELETE SET NULL,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    helper_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    given_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    given_at TEXT NOT NULL
);
CREATE INDEX kudos_helper ON kudos (helper_id);
