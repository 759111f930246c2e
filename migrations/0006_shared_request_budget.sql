-- liqsync schema, version 6: one API request budget shared by every liqsync using the database.
--
-- Kaiko limits requests per API key, not per process. Several `liqsync run` instances (and a
-- `backfill` started by hand beside them) draw from this token bucket, so that together they
-- never send more than `--max-requests-per-second`, and a 429 received by one of them holds
-- back all of them. Each request takes a token in one statement (a row lock held for that
-- statement only); a caller that finds the bucket empty reserves a later slot and waits for it.
--
-- UNLOGGED: the bucket is a few numbers rewritten on every request; it needs no WAL, no
-- replication and no survival across a crash (after one, the row is recreated full).

CREATE UNLOGGED TABLE liquidations.request_budget (
    budget       text             PRIMARY KEY,
    tokens       double precision NOT NULL,
    refilled_at  timestamptz      NOT NULL,
    paused_until timestamptz
);
COMMENT ON TABLE liquidations.request_budget IS
    'Token bucket of API requests shared by every liqsync process using this database (unlogged: refilled after a crash).';
COMMENT ON COLUMN liquidations.request_budget.budget IS 'Which budget: ''kaiko'' (one per database).';
COMMENT ON COLUMN liquidations.request_budget.tokens IS
    'Requests that may be sent at once as of refilled_at; negative when callers hold reservations of later slots.';
COMMENT ON COLUMN liquidations.request_budget.refilled_at IS
    'When tokens was last brought up to date (in the future while a 429''s pause lasts).';
COMMENT ON COLUMN liquidations.request_budget.paused_until IS
    'Until when every process holds its requests back, after the API answered 429 to one of them.';
