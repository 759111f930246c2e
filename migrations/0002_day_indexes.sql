-- liqsync schema, version 2: indexes for the daily views.
--
-- `daily` and `daily_by_exchange` group by the UTC day, an expression over interval_start. A
-- filter on `day` (WHERE asset = 'btc' AND day >= ...) is pushed below the grouping, and with
-- these indexes it is an index range scan instead of a scan of every hour of the asset.
-- (timezone('UTC', timestamptz) is immutable, so it can be indexed.)

CREATE INDEX token_interval_asset_day
    ON liquidations.token_interval (asset, ((interval_start AT TIME ZONE 'UTC')::date));

CREATE INDEX token_interval_exchange_asset_day
    ON liquidations.token_interval_exchange (asset, ((interval_start AT TIME ZONE 'UTC')::date));
