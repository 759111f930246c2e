-- liqsync schema, version 12: daily rollups, written with the hours they sum.
--
-- The daily views summed the hours of every day they showed each time they were read: at 500
-- assets and a year, a month of all assets took close to a second, every day of them seconds.
-- Each asset-day and asset-day-exchange now has a row of sums, rewritten from the hours in the
-- same transaction that changes any hour of the day (sync, backfill, repair alike), so the
-- sums are exact and never behind: the views read one row per day. The two (asset, UTC day)
-- expression indexes existed only for the views' old grouping and cost every hour written;
-- they go.
--
-- Trade counts are summed as bigint here and shown as numeric by the views, as before. A day's
-- open hours (migration 0009) are counted with its sums, so `is_final` needs no look at
-- emptied_hour per row; and the views join the asset (and the exchange) with LEFT JOINs on
-- their keys, which PostgreSQL leaves out of a query that uses none of their columns.

CREATE TABLE liquidations.token_day (
    asset           text        NOT NULL,
    day             date        NOT NULL,
    hours_covered   integer     NOT NULL CHECK (hours_covered BETWEEN 1 AND 24),
    total_trades    bigint      NOT NULL,
    total_amount    numeric     NOT NULL,
    long_trades     bigint      NOT NULL,
    long_amount     numeric     NOT NULL,
    short_trades    bigint      NOT NULL,
    short_amount    numeric     NOT NULL,
    max_hour_amount numeric     NOT NULL,
    open_hours      integer     NOT NULL CHECK (open_hours BETWEEN 0 AND hours_covered),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (asset, day)
);

CREATE TABLE liquidations.token_day_exchange (
    asset         text        NOT NULL,
    day           date        NOT NULL,
    exchange      text        NOT NULL,
    hours_covered integer     NOT NULL CHECK (hours_covered BETWEEN 1 AND 24),
    total_trades  bigint      NOT NULL,
    total_amount  numeric     NOT NULL,
    long_trades   bigint      NOT NULL,
    long_amount   numeric     NOT NULL,
    short_trades  bigint      NOT NULL,
    short_amount  numeric     NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (asset, day, exchange)
);

COMMENT ON TABLE liquidations.token_day IS
    'Sums of each asset''s stored hours per UTC day, rewritten from the hours in the transaction that changes any of them; '
    'read through liquidations.daily.';
COMMENT ON COLUMN liquidations.token_day.hours_covered IS 'Stored hours of the day (24 for a complete day).';
COMMENT ON COLUMN liquidations.token_day.max_hour_amount IS 'The largest total_amount of any hour of the day.';
COMMENT ON COLUMN liquidations.token_day.open_hours IS 'Hours of the day that are open (in liquidations.emptied_hour).';
COMMENT ON COLUMN liquidations.token_day.updated_at IS 'The latest updated_at of the day''s hours.';
COMMENT ON TABLE liquidations.token_day_exchange IS
    'Sums of each asset''s stored exchange rows per UTC day and exchange, rewritten with the hours like token_day; '
    'read through liquidations.daily_by_exchange.';
COMMENT ON COLUMN liquidations.token_day_exchange.hours_covered IS 'Hours of the day with liquidations on the exchange.';

INSERT INTO liquidations.token_day
    (asset, day, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount,
     max_hour_amount, open_hours, updated_at)
SELECT t.asset, (t.interval_start AT TIME ZONE 'UTC')::date, count(*), sum(total_trades), sum(total_amount),
       sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(total_amount),
       count(o.interval_start), max(updated_at)
FROM liquidations.token_interval AS t
LEFT JOIN liquidations.emptied_hour AS o ON o.asset = t.asset AND o.interval_start = t.interval_start
GROUP BY t.asset, (t.interval_start AT TIME ZONE 'UTC')::date;

INSERT INTO liquidations.token_day_exchange
    (asset, day, exchange, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount,
     updated_at)
SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*), sum(total_trades), sum(total_amount),
       sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(updated_at)
FROM liquidations.token_interval_exchange
GROUP BY asset, (interval_start AT TIME ZONE 'UTC')::date, exchange;

-- Indexes built once the rollups are filled. Every asset over a date range ("the last 30 days")
-- reads the days by date; whole-history questions ("the largest hours ever") start from the days
-- with the largest hour.
CREATE INDEX token_day_day ON liquidations.token_day (day);
CREATE INDEX token_day_exchange_day ON liquidations.token_day_exchange (day);
CREATE INDEX token_day_largest_hour ON liquidations.token_day (max_hour_amount DESC);

-- The views read the rollups; columns, types and meaning unchanged, one added at the end. --------

CREATE OR REPLACE VIEW liquidations.daily AS
SELECT d.asset, d.day, d.hours_covered,
       d.total_trades::numeric AS total_trades, d.total_amount AS total_amount_usd,
       d.long_trades::numeric AS long_trades, d.long_amount AS long_amount_usd,
       d.short_trades::numeric AS short_trades, d.short_amount AS short_amount_usd, d.updated_at,
       coalesce((d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours), false)
           AND d.open_hours = 0 AS is_final,
       d.max_hour_amount AS largest_hour_usd
FROM liquidations.token_day AS d
LEFT JOIN liquidations.asset AS a ON a.asset = d.asset;

CREATE OR REPLACE VIEW liquidations.daily_by_exchange AS
SELECT d.asset, d.day, d.exchange, coalesce(x.name, d.exchange) AS exchange_name, d.hours_covered,
       d.total_trades::numeric AS total_trades, d.total_amount AS total_amount_usd,
       d.long_trades::numeric AS long_trades, d.long_amount AS long_amount_usd,
       d.short_trades::numeric AS short_trades, d.short_amount AS short_amount_usd, d.updated_at,
       coalesce((d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours)
                    AND t.open_hours = 0, false) AS is_final
FROM liquidations.token_day_exchange AS d
LEFT JOIN liquidations.exchange AS x ON x.exchange = d.exchange
LEFT JOIN liquidations.asset AS a ON a.asset = d.asset
LEFT JOIN liquidations.token_day AS t ON t.asset = d.asset AND t.day = d.day;

-- The hourly views the same way: their joins on keys become LEFT JOINs (is_final false for an
-- hour of an asset not tracked, which `liqsync verify` reports), so a query that does not ask
-- for is_final reads the hours by their primary key alone.

CREATE OR REPLACE VIEW liquidations.hourly AS
SELECT t.asset,
       t.interval_start,
       t.interval_start + interval '1 hour' AS interval_end,
       t.total_trades,
       t.total_amount AS total_amount_usd,
       t.long_trades,
       t.long_amount  AS long_amount_usd,
       t.short_trades,
       t.short_amount AS short_amount_usd,
       t.updated_at,
       coalesce(t.interval_start < a.watermark - make_interval(hours => a.lookback_hours), false)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = t.asset AND o.interval_start = t.interval_start) AS is_final
FROM liquidations.token_interval AS t
LEFT JOIN liquidations.asset AS a ON a.asset = t.asset;

CREATE OR REPLACE VIEW liquidations.hourly_by_exchange AS
SELECT e.asset,
       e.interval_start,
       e.interval_start + interval '1 hour' AS interval_end,
       e.exchange,
       coalesce(x.name, e.exchange) AS exchange_name,
       e.total_trades,
       e.total_amount AS total_amount_usd,
       e.long_trades,
       e.long_amount  AS long_amount_usd,
       e.short_trades,
       e.short_amount AS short_amount_usd,
       e.updated_at,
       coalesce(e.interval_start < a.watermark - make_interval(hours => a.lookback_hours), false)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = e.asset AND o.interval_start = e.interval_start) AS is_final
FROM liquidations.token_interval_exchange AS e
LEFT JOIN liquidations.exchange AS x ON x.exchange = e.exchange
LEFT JOIN liquidations.asset AS a ON a.asset = e.asset;

COMMENT ON COLUMN liquidations.daily.largest_hour_usd IS
    'The largest total_amount_usd of any hour of the day: the days to look in for the largest hours (docs/bi.md).';

DROP INDEX liquidations.token_interval_asset_day;
DROP INDEX liquidations.token_interval_exchange_asset_day;
