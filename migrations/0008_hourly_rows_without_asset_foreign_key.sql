-- liqsync schema, version 8: hourly rows are written without a per-row foreign-key check.
--
-- Measured (2026-11-25, 2 cores, the scripts/bench backfill of 10 assets x 180 days, after the
-- other costs of writing had gone): perf over the whole machine put 7 % of all CPU samples in
-- the check of token_interval's foreign key to liquidations.asset (a query per hourly row);
-- dropping it took about 0.1 s off a 1.1-1.2 s backfill, in interleaved runs.
--
-- Why dropping it is safe: liqsync's writer (IntervalWriter) is the only code that writes this
-- table, and every chunk's transaction ends by advancing the asset's watermark with
-- UPDATE liquidations.asset ... RETURNING. If the asset row is gone, that update finds nothing
-- and the whole chunk rolls back, its hourly rows with it; if the asset is removed later,
-- 'liqsync assets remove --purge' now deletes its hourly rows itself, in its transaction (the
-- cascade did before). The views join liquidations.asset, so an hourly row of an unknown asset
-- would not show there either, and 'liqsync verify' reports one (orphan_hour), so a row written
-- around liqsync is still found.
--
-- Kept: every CHECK (a few hundredths of a second for all rows), the primary keys, and the
-- (asset, day) indexes the daily views need.

ALTER TABLE liquidations.token_interval DROP CONSTRAINT token_interval_asset_fkey;

COMMENT ON TABLE liquidations.token_interval IS
    'One row per asset and UTC hour below the watermark; hours without liquidations are explicit zero rows. Each row''s '
    'asset is in liquidations.asset: kept so by liqsync''s writer and checked by liqsync verify, not by a foreign key '
    '(a check per row was a measurable part of the cost of writing).';
