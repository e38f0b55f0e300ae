-- Indexes the benchmarks (bench/, figure group 3) showed missing as data grows.

-- Everyone in now, in one space: `who`, the check-in count, and settle(), which every
-- presence command and the every-minute closing job run first, read the open visits
-- of a space. visits_space_day made that a walk through every visit the space ever
-- had (2,000 in a three-year-old space of 50, growing every day); this index holds
-- only the few visits open now, in the order `who` lists them.
CREATE INDEX visits_open_space ON visits (space_id, checkin_at) WHERE checkout_at IS NULL;
