-- liqsync schema, version 14: the largest hours of any range, found through an index.
-- migration: no transaction
--
-- "The largest hours of the last 30 days, across all assets" (liquidations.hourly, a range of
-- interval_start, ORDER BY total_amount_usd DESC, LIMIT 10) had no index to use: the hourly
-- table is keyed by asset first, so PostgreSQL read every hour of the range, at full coverage
-- hundreds of thousands, and sorted them. This index walks the hours from the largest down and
-- checks each one's time in the index itself, stopping at the tenth in range: a few hundred to a
-- few thousand entries for a week or a month, ten for the whole history.
--
-- Built CONCURRENTLY, outside a transaction (13 million hours at full coverage take minutes):
-- readers and writers go on meanwhile. A build cut short leaves an invalid index, which the next
-- `liqsync migrate` drops and builds again.

CREATE INDEX CONCURRENTLY IF NOT EXISTS token_interval_largest
    ON liquidations.token_interval (total_amount DESC, interval_start);

COMMENT ON INDEX liquidations.token_interval_largest IS
    'The hours by total_amount, largest first, with their time: the largest hours of any range, across assets.';
