-- liqsync schema, version 7: exchange rows are written without per-row foreign-key checks.
--
-- Measured by scripts/bench (2026-11-25, one run each, 2 cores): a COPY of the same 232,878 rows
-- took 0.75 s into copies of the data tables with their primary keys and CHECKs, 3.01 s with the
-- foreign keys as well (the (asset, day) indexes added nothing measurable); a backfill of
-- 10 assets x 180 days took 3.34 s before this migration and 2.65 s after it. The two foreign
-- keys of token_interval_exchange cost a lookup in another table's index for every exchange row.
--
-- Why dropping them is safe: liqsync's writer (IntervalWriter) is the only code that writes
-- these tables. It writes an hour and its exchange rows in one transaction, under the asset's
-- lock, and inserts an exchange code it has not seen into liquidations.exchange in that same
-- transaction, before the rows that use it. Hourly rows are never deleted, except by
-- 'liqsync assets remove --purge', which now deletes the exchange rows itself in its
-- transaction (the cascade did before). 'liqsync verify' checks both promises
-- (orphan_exchange_row), so a row written around liqsync is still found.
--
-- Kept: token_interval -> asset (one check per hour, not per exchange row; it measured no cost)
-- and every CHECK (0.07 s for all rows).

ALTER TABLE liquidations.token_interval_exchange
    DROP CONSTRAINT token_interval_exchange_asset_interval_start_fkey,
    DROP CONSTRAINT token_interval_exchange_exchange_fkey;

COMMENT ON TABLE liquidations.token_interval_exchange IS
    'Per-exchange figures of an hour; an exchange with no liquidations in that hour has no row. Each row''s hour is in '
    'token_interval and its exchange in liquidations.exchange: kept so by liqsync''s writer and checked by liqsync verify, '
    'not by foreign keys (a check per row was most of the cost of writing).';
