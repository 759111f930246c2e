-- liqsync schema, version 10: one writer per asset through any pooler, claims kept in a table.
--
-- Session advisory locks held an asset for the session that took them, which a transaction-
-- pooling PgBouncer does not keep: the next transaction runs on another server connection, the
-- unlock warned "you don't own a lock", locks stayed behind on pooled connections, and assets
-- stopped. A claim is now a row, taken, renewed, checked and released with statements that need
-- nothing of the session between transactions:
--
-- - taken when the row is absent, expired, or its holder's session is gone (so a killed
--   liqsync on a direct connection is taken over at once, as with locks);
-- - renewed by the holder while it holds it, and in the transaction of every chunk it writes,
--   which commits only if the row still names that holder;
-- - released by the holder; given up after `expires_at` by a holder that went silent.
--
-- UNLOGGED: claims are about the processes alive now; after a crash nobody holds anything.

CREATE UNLOGGED TABLE liquidations.asset_claim (
    asset         text        PRIMARY KEY,
    holder        text        NOT NULL,
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    session_pid   integer     NOT NULL,
    session_start timestamptz NOT NULL
);
COMMENT ON TABLE liquidations.asset_claim IS
    'Which liqsync process writes each asset now (one writer per asset); taken over once expired or once the holding session is gone.';
COMMENT ON COLUMN liquidations.asset_claim.holder IS 'The holding process: host, process id and a random part.';
COMMENT ON COLUMN liquidations.asset_claim.expires_at IS
    'Until when the claim holds without renewal; the holder renews it while it works and with every chunk it commits.';
COMMENT ON COLUMN liquidations.asset_claim.session_pid IS
    'The server process of the session that last renewed the claim; when it is gone (and started at session_start), so is the claim.';
COMMENT ON COLUMN liquidations.asset_claim.session_start IS 'When that server process started (pids are reused).';
