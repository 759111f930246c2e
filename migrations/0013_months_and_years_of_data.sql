-- liqsync schema, version 13: the dataset's whole life at full coverage (500 assets, years).
--
-- Monthly rollups. Questions over months, years or the whole history read one row per asset and
-- month (and exchange) instead of one per day: token_month and token_month_exchange hold the
-- sums of each asset's days per calendar month (UTC), summed again from the daily rollups in the
-- transaction that changes any day of the month, so they are exact and never behind. The views
-- monthly and monthly_by_exchange read them.
--
-- Trade counts in the daily views are bigint, as in the hourly ones (they were numeric: SQL sums
-- bigint to numeric, and BI tools then took the counts for decimal amounts). A view's column type
-- cannot change in place: the two views are dropped and made again, with their grants and comments.
--
-- Storage for years of hourly passes. A pass adds the new hour to the day's and the month's
-- rollup rows, so those rows change every hour: each rollup table keeps a share of every page free
-- (fillfactor) so that such an update stays on its page (a HOT update: no new index entries, the
-- old version pruned on the page). The index of the days by their largest hour goes: the largest
-- hours of any range are now found through the hours themselves (migration 0014), and an indexed
-- column that changes with every hour would make every update of the day's row a cold one. The
-- hourly tables change little once written (a revision now and then): autovacuum is asked to come
-- after a small share of dead rows rather than a fifth of the table, which at 80 million exchange
-- rows would be 16 million. Nothing is rewritten: a table's fillfactor applies to pages filled
-- from now on.
--
-- verification_run: what `liqsync verify` checked and when, so that a verification reads what
-- changed since the last clean one rather than every row.

CREATE TABLE liquidations.token_month (
    asset           text        NOT NULL,
    month           date        NOT NULL CHECK (extract(day FROM month) = 1),
    hours_covered   integer     NOT NULL CHECK (hours_covered BETWEEN 1 AND 744),
    total_trades    bigint      NOT NULL,
    total_amount    numeric     NOT NULL,
    long_trades     bigint      NOT NULL,
    long_amount     numeric     NOT NULL,
    short_trades    bigint      NOT NULL,
    short_amount    numeric     NOT NULL,
    max_hour_amount numeric     NOT NULL,
    open_hours      integer     NOT NULL CHECK (open_hours BETWEEN 0 AND hours_covered),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (asset, month)
) WITH (fillfactor = 70);

CREATE TABLE liquidations.token_month_exchange (
    asset         text        NOT NULL,
    month         date        NOT NULL CHECK (extract(day FROM month) = 1),
    exchange      text        NOT NULL,
    hours_covered integer     NOT NULL CHECK (hours_covered BETWEEN 1 AND 744),
    total_trades  bigint      NOT NULL,
    total_amount  numeric     NOT NULL,
    long_trades   bigint      NOT NULL,
    long_amount   numeric     NOT NULL,
    short_trades  bigint      NOT NULL,
    short_amount  numeric     NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (asset, month, exchange)
) WITH (fillfactor = 70);

COMMENT ON TABLE liquidations.token_month IS
    'Sums of each asset''s daily rollups per calendar month (UTC), summed again in the transaction that changes any '
    'day of the month; read through liquidations.monthly.';
COMMENT ON COLUMN liquidations.token_month.month IS 'The first day of the month.';
COMMENT ON COLUMN liquidations.token_month.hours_covered IS 'Stored hours of the month.';
COMMENT ON COLUMN liquidations.token_month.max_hour_amount IS 'The largest total_amount of any hour of the month.';
COMMENT ON COLUMN liquidations.token_month.open_hours IS 'Hours of the month that are open (in liquidations.emptied_hour).';
COMMENT ON COLUMN liquidations.token_month.updated_at IS 'The latest updated_at of the month''s days.';
COMMENT ON TABLE liquidations.token_month_exchange IS
    'Sums of each asset''s daily exchange rollups per calendar month (UTC) and exchange, kept like token_month; '
    'read through liquidations.monthly_by_exchange.';
COMMENT ON COLUMN liquidations.token_month_exchange.hours_covered IS 'Hours of the month with liquidations on the exchange.';

INSERT INTO liquidations.token_month
    (asset, month, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount,
     max_hour_amount, open_hours, updated_at)
SELECT asset, date_trunc('month', day)::date, sum(hours_covered), sum(total_trades), sum(total_amount),
       sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(max_hour_amount), sum(open_hours),
       max(updated_at)
FROM liquidations.token_day
GROUP BY asset, date_trunc('month', day)::date;

INSERT INTO liquidations.token_month_exchange
    (asset, month, exchange, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades, short_amount,
     updated_at)
SELECT asset, date_trunc('month', day)::date, exchange, sum(hours_covered), sum(total_trades), sum(total_amount),
       sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(updated_at)
FROM liquidations.token_day_exchange
GROUP BY asset, date_trunc('month', day)::date, exchange;

-- Every asset over a range of months ("each exchange's share over the last year") reads the
-- months by date.
CREATE INDEX token_month_month ON liquidations.token_month (month);
CREATE INDEX token_month_exchange_month ON liquidations.token_month_exchange (month);

-- Storage parameters (see above). ----------------------------------------------------------------

DROP INDEX liquidations.token_day_largest_hour;

ALTER TABLE liquidations.token_day SET (fillfactor = 70);
ALTER TABLE liquidations.token_day_exchange SET (fillfactor = 70);
ALTER TABLE liquidations.token_interval SET (
    autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE liquidations.token_interval_exchange SET (
    autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
-- The claims are renewed in every chunk's transaction, the budget's bucket at every request: a few
-- rows, rewritten all the time.
ALTER TABLE liquidations.asset_claim SET (fillfactor = 50);
ALTER TABLE liquidations.asset SET (fillfactor = 50);
ALTER TABLE liquidations.request_budget SET (fillfactor = 50);

-- The daily views, trade counts as bigint. ------------------------------------------------------

DROP VIEW liquidations.daily;
DROP VIEW liquidations.daily_by_exchange;

CREATE VIEW liquidations.daily AS
SELECT d.asset, d.day, d.hours_covered,
       d.total_trades, d.total_amount AS total_amount_usd,
       d.long_trades, d.long_amount AS long_amount_usd,
       d.short_trades, d.short_amount AS short_amount_usd, d.updated_at,
       coalesce((d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours), false)
           AND d.open_hours = 0 AS is_final,
       d.max_hour_amount AS largest_hour_usd
FROM liquidations.token_day AS d
LEFT JOIN liquidations.asset AS a ON a.asset = d.asset;

CREATE VIEW liquidations.daily_by_exchange AS
SELECT d.asset, d.day, d.exchange, coalesce(x.name, d.exchange) AS exchange_name, d.hours_covered,
       d.total_trades, d.total_amount AS total_amount_usd,
       d.long_trades, d.long_amount AS long_amount_usd,
       d.short_trades, d.short_amount AS short_amount_usd, d.updated_at,
       coalesce((d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours)
                    AND t.open_hours = 0, false) AS is_final
FROM liquidations.token_day_exchange AS d
LEFT JOIN liquidations.exchange AS x ON x.exchange = d.exchange
LEFT JOIN liquidations.asset AS a ON a.asset = d.asset
LEFT JOIN liquidations.token_day AS t ON t.asset = d.asset AND t.day = d.day;

COMMENT ON VIEW liquidations.daily IS
    'Liquidations per asset and UTC day, all exchanges together: sums of the hourly rows.';
COMMENT ON COLUMN liquidations.daily.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.daily.day IS 'The UTC calendar day.';
COMMENT ON COLUMN liquidations.daily.hours_covered IS
    'Hours of this day that are loaded (24 for a complete day; fewer at the edges of the loaded range).';
COMMENT ON COLUMN liquidations.daily.total_trades IS 'Number of liquidation events in the day, long and short.';
COMMENT ON COLUMN liquidations.daily.total_amount_usd IS 'Value of all liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.long_trades IS 'Number of long positions liquidated in the day.';
COMMENT ON COLUMN liquidations.daily.long_amount_usd IS 'Value of long liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.short_trades IS 'Number of short positions liquidated in the day.';
COMMENT ON COLUMN liquidations.daily.short_amount_usd IS 'Value of short liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.updated_at IS 'Latest change to any hour of the day.';
COMMENT ON COLUMN liquidations.daily.is_final IS
    'True once every hour of the day is final: the whole day is older than the re-read horizon and holds no open hour.';
COMMENT ON COLUMN liquidations.daily.largest_hour_usd IS 'The largest total_amount_usd of any hour of the day.';

COMMENT ON VIEW liquidations.daily_by_exchange IS
    'Liquidations per asset, UTC day and exchange: sums of the hourly per-exchange rows.';
COMMENT ON COLUMN liquidations.daily_by_exchange.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.daily_by_exchange.day IS 'The UTC calendar day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.exchange IS 'Kaiko exchange code.';
COMMENT ON COLUMN liquidations.daily_by_exchange.exchange_name IS
    'Display name of the exchange (the code when the name is unknown).';
COMMENT ON COLUMN liquidations.daily_by_exchange.hours_covered IS 'Hours of this day in which this exchange had liquidations.';
COMMENT ON COLUMN liquidations.daily_by_exchange.total_trades IS 'Number of liquidation events on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.total_amount_usd IS
    'Value of all liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.long_trades IS 'Number of long positions liquidated on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.long_amount_usd IS 'Value of long liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.short_trades IS 'Number of short positions liquidated on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.short_amount_usd IS
    'Value of short liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.updated_at IS 'Latest change to any hour of the day on this exchange.';
COMMENT ON COLUMN liquidations.daily_by_exchange.is_final IS
    'True once every hour of the day is final: the whole day is older than the re-read horizon and holds no open hour.';

-- The monthly views. -----------------------------------------------------------------------------

CREATE VIEW liquidations.monthly AS
SELECT m.asset, m.month, m.hours_covered,
       m.total_trades, m.total_amount AS total_amount_usd,
       m.long_trades, m.long_amount AS long_amount_usd,
       m.short_trades, m.short_amount AS short_amount_usd, m.updated_at,
       coalesce((m.month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
                    <= a.watermark - make_interval(hours => a.lookback_hours), false)
           AND m.open_hours = 0 AS is_final,
       m.max_hour_amount AS largest_hour_usd
FROM liquidations.token_month AS m
LEFT JOIN liquidations.asset AS a ON a.asset = m.asset;

CREATE VIEW liquidations.monthly_by_exchange AS
SELECT m.asset, m.month, m.exchange, coalesce(x.name, m.exchange) AS exchange_name, m.hours_covered,
       m.total_trades, m.total_amount AS total_amount_usd,
       m.long_trades, m.long_amount AS long_amount_usd,
       m.short_trades, m.short_amount AS short_amount_usd, m.updated_at,
       coalesce((m.month + interval '1 month')::timestamp AT TIME ZONE 'UTC'
                    <= a.watermark - make_interval(hours => a.lookback_hours)
                    AND t.open_hours = 0, false) AS is_final
FROM liquidations.token_month_exchange AS m
LEFT JOIN liquidations.exchange AS x ON x.exchange = m.exchange
LEFT JOIN liquidations.asset AS a ON a.asset = m.asset
LEFT JOIN liquidations.token_month AS t ON t.asset = m.asset AND t.month = m.month;

COMMENT ON VIEW liquidations.monthly IS
    'Liquidations per asset and calendar month (UTC), all exchanges together: sums of the daily rows.';
COMMENT ON COLUMN liquidations.monthly.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.monthly.month IS 'The first day of the calendar month (UTC).';
COMMENT ON COLUMN liquidations.monthly.hours_covered IS
    'Hours of this month that are loaded (every hour of a complete month; fewer at the edges of the loaded range).';
COMMENT ON COLUMN liquidations.monthly.total_trades IS 'Number of liquidation events in the month, long and short.';
COMMENT ON COLUMN liquidations.monthly.total_amount_usd IS 'Value of all liquidations in the month in USD.';
COMMENT ON COLUMN liquidations.monthly.long_trades IS 'Number of long positions liquidated in the month.';
COMMENT ON COLUMN liquidations.monthly.long_amount_usd IS 'Value of long liquidations in the month in USD.';
COMMENT ON COLUMN liquidations.monthly.short_trades IS 'Number of short positions liquidated in the month.';
COMMENT ON COLUMN liquidations.monthly.short_amount_usd IS 'Value of short liquidations in the month in USD.';
COMMENT ON COLUMN liquidations.monthly.updated_at IS 'Latest change to any hour of the month.';
COMMENT ON COLUMN liquidations.monthly.is_final IS
    'True once every hour of the month is final: the whole month is older than the re-read horizon and holds no open hour.';
COMMENT ON COLUMN liquidations.monthly.largest_hour_usd IS 'The largest total_amount_usd of any hour of the month.';

COMMENT ON VIEW liquidations.monthly_by_exchange IS
    'Liquidations per asset, calendar month (UTC) and exchange: sums of the daily per-exchange rows.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.month IS 'The first day of the calendar month (UTC).';
COMMENT ON COLUMN liquidations.monthly_by_exchange.exchange IS 'Kaiko exchange code.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.exchange_name IS
    'Display name of the exchange (the code when the name is unknown).';
COMMENT ON COLUMN liquidations.monthly_by_exchange.hours_covered IS
    'Hours of this month in which this exchange had liquidations.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.total_trades IS
    'Number of liquidation events on this exchange in the month.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.total_amount_usd IS
    'Value of all liquidations on this exchange in the month in USD.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.long_trades IS
    'Number of long positions liquidated on this exchange in the month.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.long_amount_usd IS
    'Value of long liquidations on this exchange in the month in USD.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.short_trades IS
    'Number of short positions liquidated on this exchange in the month.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.short_amount_usd IS
    'Value of short liquidations on this exchange in the month in USD.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.updated_at IS 'Latest change to any hour of the month on this exchange.';
COMMENT ON COLUMN liquidations.monthly_by_exchange.is_final IS
    'True once every hour of the month is final: the whole month is older than the re-read horizon and holds no open hour.';

GRANT SELECT ON liquidations.daily, liquidations.daily_by_exchange, liquidations.monthly, liquidations.monthly_by_exchange
    TO liquidations_reader;

-- What liqsync verify checked. -------------------------------------------------------------------

CREATE TABLE liquidations.verification_run (
    run_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at      timestamptz NOT NULL,
    checked_through timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    full_check      boolean     NOT NULL,
    checked_since   timestamptz,
    problems        integer     NOT NULL CHECK (problems >= 0)
);
COMMENT ON TABLE liquidations.verification_run IS
    'One row per liqsync verify of every asset: the next verification checks row by row the days changed since the '
    'checked_through of the last one that found no problem (everything, with --full or without such a run).';
COMMENT ON COLUMN liquidations.verification_run.started_at IS 'When the verification took its snapshot.';
COMMENT ON COLUMN liquidations.verification_run.checked_through IS
    'Every change made before this time was in the verification''s snapshot: the start of the oldest transaction '
    'still open then (less a margin), or started_at.';
COMMENT ON COLUMN liquidations.verification_run.full_check IS 'Whether every row was checked.';
COMMENT ON COLUMN liquidations.verification_run.checked_since IS
    'For a verification of what changed: the days changed from this time on were checked row by row.';
COMMENT ON COLUMN liquidations.verification_run.problems IS 'Problems found.';
