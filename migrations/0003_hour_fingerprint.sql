-- liqsync schema, version 3: a fingerprint of each hour as liqsync last wrote it.
--
-- Re-reading hours that did not change (each sync's lookback, `backfill --restart`) then costs
-- a comparison of fingerprints instead of staging and merging every row. NULL (rows written
-- before this migration) means "unknown": such an hour is merged as before, and gets one.

ALTER TABLE liquidations.token_interval ADD COLUMN content_hash bigint;
COMMENT ON COLUMN liquidations.token_interval.content_hash IS
    'FNV-1a 64 of the hour''s totals and per-exchange figures as last received from Kaiko (internal to liqsync).';
