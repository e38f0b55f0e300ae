-- A one-off cost pays for no period before it: its charge's "period" is its own day (the
-- members of that day share it). Charges made before said the month before the day.
UPDATE charges SET period_start = due_on, period_end = due_on
    WHERE cost_id IN (SELECT id FROM costs WHERE every = 'once');
