-- liqsync schema, version 11: behind a transaction pooler a claim is bound to no server session.
--
-- A transaction pooler hands each transaction whichever server connection is free and closes
-- them on its own schedule (PgBouncer's server_lifetime, server_idle_timeout). The session that
-- last renewed a claim says nothing there about its holder: its end would let another liqsync
-- take an asset from a holder still at work, and refuse that holder's next chunk. So a holder
-- behind a transaction pooler records no session, and its claims hold until they expire.

ALTER TABLE liquidations.asset_claim
    ALTER COLUMN session_pid DROP NOT NULL,
    ALTER COLUMN session_start DROP NOT NULL;

COMMENT ON TABLE liquidations.asset_claim IS
    'Which liqsync process writes each asset now (one writer per asset); taken over once expired, or once the holding session is gone when the holder has one of its own.';
COMMENT ON COLUMN liquidations.asset_claim.session_pid IS
    'The server process of the session that last renewed the claim; when it is gone (and started at session_start), so is the claim. NULL behind a transaction pooler: the claim holds until expires_at.';
COMMENT ON COLUMN liquidations.asset_claim.session_start IS 'When that server process started (pids are reused); NULL with session_pid.';
