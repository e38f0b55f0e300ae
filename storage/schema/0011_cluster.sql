-- Replicas (issue 18): what a single process kept in memory and several must share.

-- Flood control per sender, when several replicas take a sender's updates in turn
-- (bot/flood.py keeps it in memory with one process): a window of `window` seconds
-- starting at `window_start`, the commands counted in it, and whether they were told.
CREATE TABLE flood (
    sender TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    count INTEGER NOT NULL,
    warned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flood_window ON flood (window_start);
