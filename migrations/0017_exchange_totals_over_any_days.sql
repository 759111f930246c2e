-- liqsync schema, version 17: each asset's exchanges over any range of days, from two rows a pair.
--
-- "Each exchange's share of an asset's liquidations over the last 30 days" read one row per
-- asset, exchange and day (155,000 at 500 assets) and summed them: 250-380 ms. Running totals
-- answer it from two rows per asset and exchange, whatever the range: the sums over days
-- [from, to] are the running total at `to` minus the running total before `from`.
--
-- * token_day_exchange_running holds, per asset, exchange and day, the sums of the asset's
--   daily rows on that exchange from its first day through that day. From the day a pair first
--   has liquidations, the pair has a row on every day the asset has daily rows, so the running
--   totals of all an asset's exchanges at a day are read from one stretch of the primary key; a
--   day without liquidations on the exchange carries its total on.
-- * liqsync rewrites the running totals in the transaction that changes the daily rows, from
--   the first changed day through the asset's later days: an hourly pass rewrites a day or two,
--   a revision deep in the past the days after it.
-- * exchange_totals(from_day, to_day) reads them: per asset, the running totals of the last day
--   on or before to_day minus those of the last day before from_day. It returns what the same
--   sums over liquidations.daily_by_exchange return, exact.
--
-- The table is filled in one transaction that holds token_day_exchange against writers (SHARE;
-- readers go on), so no change to the daily rows slips between the fill and the writers' upkeep.

CREATE TABLE liquidations.token_day_exchange_running (
    asset         text    NOT NULL,
    day           date    NOT NULL,
    exchange      text    NOT NULL,
    hours_covered bigint  NOT NULL,
    total_trades  bigint  NOT NULL,
    total_amount  numeric NOT NULL,
    long_trades   bigint  NOT NULL,
    long_amount   numeric NOT NULL,
    short_trades  bigint  NOT NULL,
    short_amount  numeric NOT NULL,
    PRIMARY KEY (asset, day, exchange)
-- An hourly pass rewrites the running totals of the current day in place: room on each page for
-- those updates to stay HOT, as for the daily rollups (migration 0013).
) WITH (fillfactor = 70);

COMMENT ON TABLE liquidations.token_day_exchange_running IS
    'Running totals of each asset''s daily rows per exchange (token_day_exchange): the sums from the asset''s first day '
    'on the exchange through day. On every day the asset has daily rows, each of its exchanges seen by then has one. '
    'Rewritten with the daily rows; read through liquidations.exchange_totals().';
COMMENT ON COLUMN liquidations.token_day_exchange_running.hours_covered IS
    'Hours with liquidations on the exchange, from the asset''s first day on it through day.';

LOCK TABLE liquidations.token_day_exchange IN SHARE MODE;

INSERT INTO liquidations.token_day_exchange_running
    (asset, day, exchange, hours_covered, total_trades, total_amount, long_trades, long_amount, short_trades,
     short_amount)
SELECT p.asset, g.day, p.exchange,
       sum(coalesce(d.hours_covered, 0)) OVER w, sum(coalesce(d.total_trades, 0)) OVER w,
       sum(coalesce(d.total_amount, 0)) OVER w, sum(coalesce(d.long_trades, 0)) OVER w,
       sum(coalesce(d.long_amount, 0)) OVER w, sum(coalesce(d.short_trades, 0)) OVER w,
       sum(coalesce(d.short_amount, 0)) OVER w
FROM (SELECT asset, exchange, min(day) AS first_day FROM liquidations.token_day_exchange GROUP BY asset, exchange) AS p
JOIN (SELECT DISTINCT asset, day FROM liquidations.token_day_exchange) AS g
  ON g.asset = p.asset AND g.day >= p.first_day
LEFT JOIN liquidations.token_day_exchange AS d ON d.asset = p.asset AND d.day = g.day AND d.exchange = p.exchange
WINDOW w AS (PARTITION BY p.asset, p.exchange ORDER BY g.day)
-- Stored day by day, as the writers add them: an asset's exchanges of a day share a page.
ORDER BY p.asset, g.day, p.exchange;

CREATE FUNCTION liquidations.exchange_totals(from_day date, to_day date)
RETURNS TABLE (asset text, exchange text, exchange_name text, hours_covered bigint, total_trades bigint,
               total_amount_usd numeric, long_trades bigint, long_amount_usd numeric, short_trades bigint,
               short_amount_usd numeric)
-- It runs with its owner's rights: readers are granted the function and the views, not the tables.
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- Per asset, the last day with running totals on or before to_day and the last before
    -- from_day; then all the asset's exchanges of each of the two days, a stretch of the primary
    -- key each, matched by exchange.
    WITH bounds AS (
        SELECT a.asset,
               (SELECT max(r.day) FROM liquidations.token_day_exchange_running AS r
                WHERE r.asset = a.asset AND r.day <= to_day) AS last_in,
               (SELECT max(r.day) FROM liquidations.token_day_exchange_running AS r
                WHERE r.asset = a.asset AND r.day < from_day) AS last_before
        FROM liquidations.asset AS a
        WHERE from_day <= to_day
    ), upto AS (
        SELECT e.* FROM bounds AS b
        JOIN liquidations.token_day_exchange_running AS e ON e.asset = b.asset AND e.day = b.last_in
    ), before AS (
        SELECT s.* FROM bounds AS b
        JOIN liquidations.token_day_exchange_running AS s ON s.asset = b.asset AND s.day = b.last_before
    )
    SELECT e.asset, e.exchange, coalesce(x.name, e.exchange),
           e.hours_covered - coalesce(s.hours_covered, 0),
           e.total_trades - coalesce(s.total_trades, 0), trim_scale(e.total_amount - coalesce(s.total_amount, 0)),
           e.long_trades - coalesce(s.long_trades, 0), trim_scale(e.long_amount - coalesce(s.long_amount, 0)),
           e.short_trades - coalesce(s.short_trades, 0), trim_scale(e.short_amount - coalesce(s.short_amount, 0))
    FROM upto AS e
    LEFT JOIN before AS s ON s.asset = e.asset AND s.exchange = e.exchange
    LEFT JOIN liquidations.exchange AS x ON x.exchange = e.exchange
    -- A pair with no daily row in the range adds no hour in it.
    WHERE e.hours_covered > coalesce(s.hours_covered, 0)
$$;

COMMENT ON FUNCTION liquidations.exchange_totals(date, date) IS
    'Liquidations per asset and exchange over the UTC days from_day through to_day (both included): the same sums as '
    'liquidations.daily_by_exchange grouped by asset and exchange over those days, exact and current, read from two '
    'rows per asset and exchange whatever the range. Pairs without liquidations in the range are left out.';

REVOKE EXECUTE ON FUNCTION liquidations.exchange_totals(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION liquidations.exchange_totals(date, date) TO liquidations_reader;
