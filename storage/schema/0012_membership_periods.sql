-- Membership periods: each time someone became a member and, if so, stopped being one.
-- A split counts the days of every period in the charge's, so leaving and coming back
-- loses nothing (members.joined_at only says when the current period began).
-- Instants are UTC; a period still open has no left_at, and a member has at most one.

CREATE TABLE membership_periods (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    left_at TEXT
);
CREATE UNIQUE INDEX membership_periods_open ON membership_periods (member_id)
    WHERE left_at IS NULL;
CREATE INDEX membership_periods_member ON membership_periods (member_id, joined_at);

-- What the members table knew: the last period of each member who ever was one.
INSERT INTO membership_periods (member_id, joined_at, left_at)
    SELECT id, joined_at,
           CASE WHEN status = 'active' THEN NULL ELSE COALESCE(left_at, joined_at) END
    FROM members
    WHERE joined_at IS NOT NULL AND (status = 'active' OR left_at IS NOT NULL)
      AND id NOT IN (SELECT member_id FROM erasures);
