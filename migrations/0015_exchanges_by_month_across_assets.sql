-- liqsync schema, version 15: every asset's exchanges by month, in a few hundred rows.
--
-- "Each exchange by month (or year) over the whole history, every asset together" read one row
-- per asset, month and exchange (185,000 at 500 assets and three years) and grouped them: over
-- 100 ms. A rollup per exchange and month across assets answers it from some 700 rows, but every
-- asset's writer would update the same rows in its chunk's transaction: writers would queue
-- behind each other's row locks until commit, and take them in different orders. So the rollup is
-- a log of changes instead, which writers only append to:
--
-- * exchange_month_change holds signed changes to the sums per exchange and month. Triggers on
--   token_month_exchange (the per-asset monthly rollup, itself exact and current) append, for
--   each statement that inserts, updates or deletes its rows, the new figures minus the old ones
--   per exchange and month, whatever made the change (a chunk, a repair, an asset's removal).
--   Appending takes no lock another writer waits for.
-- * The sum of an exchange and month's changes is, at any moment, the sum of every asset's
--   figures for that exchange and month: the changes telescope, and the table starts (below) as
--   those sums. The view exchange_monthly reads the sums.
-- * compact_exchange_month_changes() folds each exchange and month's changes into one row, so the
--   view reads about one row per exchange and month. A chunk's transaction calls it after its
--   rollups; one at a time (a transaction-level advisory lock taken without waiting: a writer
--   that finds another folding goes on without), and it deletes only what its snapshot sees, so
--   changes committed meanwhile are folded by the next one. Nothing is ever lost or counted
--   twice, and folding late only makes the view read a few more rows.
--
-- The view trims trailing zeros from the sums: a sum's scale is the largest of its terms', and
-- the terms are changes whose history should not show (61.75, not 61.750000000000000000).
--
-- The triggers and the first sums are made in one transaction that holds token_month_exchange
-- against writers (SHARE ROW EXCLUSIVE; readers go on): no change slips between them.

CREATE TABLE liquidations.exchange_month_change (
    exchange     text    NOT NULL,
    month        date    NOT NULL CHECK (extract(day FROM month) = 1),
    assets       integer NOT NULL,
    total_trades bigint  NOT NULL,
    total_amount numeric NOT NULL,
    long_trades  bigint  NOT NULL,
    long_amount  numeric NOT NULL,
    short_trades bigint  NOT NULL,
    short_amount numeric NOT NULL
);

COMMENT ON TABLE liquidations.exchange_month_change IS
    'Signed changes to every asset''s sums per exchange and calendar month (UTC), appended by triggers on '
    'token_month_exchange and folded by compact_exchange_month_changes(): the sum of an exchange and month''s rows is '
    'the sum of token_month_exchange over the assets. Read through liquidations.exchange_monthly. Emptying '
    'token_month_exchange with TRUNCATE bypasses the triggers.';
COMMENT ON COLUMN liquidations.exchange_month_change.assets IS
    'Change to the number of assets with liquidations on the exchange in the month: rows of token_month_exchange '
    'inserted minus rows deleted.';

-- Statement-level triggers: one grouped insert per statement (a chunk's upsert of its months),
-- not one per row. An update logs the difference of the rows whose figures changed (an update
-- of updated_at alone logs nothing); a row whose key changed (liqsync never changes one) logs its
-- old figures out and its new ones in.
CREATE FUNCTION liquidations.record_exchange_month_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO liquidations.exchange_month_change
        SELECT exchange, month, count(*), sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount),
               sum(short_trades), sum(short_amount)
        FROM new_rows GROUP BY exchange, month;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO liquidations.exchange_month_change
        SELECT exchange, month, -count(*), -sum(total_trades), -sum(total_amount), -sum(long_trades), -sum(long_amount),
               -sum(short_trades), -sum(short_amount)
        FROM old_rows GROUP BY exchange, month;
    ELSE
        INSERT INTO liquidations.exchange_month_change
        SELECT exchange, month, sum(assets), sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount),
               sum(short_trades), sum(short_amount)
        FROM (SELECT n.exchange, n.month, 0 AS assets, n.total_trades - o.total_trades AS total_trades,
                     n.total_amount - o.total_amount AS total_amount, n.long_trades - o.long_trades AS long_trades,
                     n.long_amount - o.long_amount AS long_amount, n.short_trades - o.short_trades AS short_trades,
                     n.short_amount - o.short_amount AS short_amount
              FROM new_rows AS n
              JOIN old_rows AS o USING (asset, month, exchange)
              WHERE (n.total_trades, n.total_amount, n.long_trades, n.long_amount, n.short_trades, n.short_amount)
                    IS DISTINCT FROM
                    (o.total_trades, o.total_amount, o.long_trades, o.long_amount, o.short_trades, o.short_amount)
              UNION ALL
              SELECT o.exchange, o.month, -1, -o.total_trades, -o.total_amount, -o.long_trades, -o.long_amount,
                     -o.short_trades, -o.short_amount
              FROM old_rows AS o
              WHERE NOT EXISTS (SELECT FROM new_rows AS n
                                WHERE (n.asset, n.month, n.exchange) = (o.asset, o.month, o.exchange))
              UNION ALL
              SELECT n.exchange, n.month, 1, n.total_trades, n.total_amount, n.long_trades, n.long_amount,
                     n.short_trades, n.short_amount
              FROM new_rows AS n
              WHERE NOT EXISTS (SELECT FROM old_rows AS o
                                WHERE (o.asset, o.month, o.exchange) = (n.asset, n.month, n.exchange))) AS d
        GROUP BY exchange, month;
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION liquidations.record_exchange_month_changes() IS
    'Appends the changes a statement made to token_month_exchange, per exchange and month.';

LOCK TABLE liquidations.token_month_exchange IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER exchange_month_inserted
    AFTER INSERT ON liquidations.token_month_exchange REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();
CREATE TRIGGER exchange_month_updated
    AFTER UPDATE ON liquidations.token_month_exchange REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();
CREATE TRIGGER exchange_month_deleted
    AFTER DELETE ON liquidations.token_month_exchange REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();

CREATE FUNCTION liquidations.compact_exchange_month_changes() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    folded integer;
BEGIN
    -- One folder at a time, and nobody waits for it: the key is the table's own identity.
    IF NOT pg_try_advisory_xact_lock('liquidations.exchange_month_change'::regclass::oid::bigint) THEN
        RETURN 0;
    END IF;
    WITH pending AS (
        SELECT exchange, month FROM liquidations.exchange_month_change GROUP BY exchange, month HAVING count(*) > 1
    ), gone AS (
        DELETE FROM liquidations.exchange_month_change AS c
        USING pending AS p
        WHERE c.exchange = p.exchange AND c.month = p.month
        RETURNING c.*
    )
    INSERT INTO liquidations.exchange_month_change
    SELECT exchange, month, sum(assets), sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount),
           sum(short_trades), sum(short_amount)
    FROM gone
    GROUP BY exchange, month
    -- A month an exchange no longer has on any asset sums to nothing: no row needed.
    HAVING (sum(assets), sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount),
            sum(short_trades), sum(short_amount)) IS DISTINCT FROM (0, 0, 0, 0, 0, 0, 0);
    GET DIAGNOSTICS folded = ROW_COUNT;
    RETURN folded;
END
$$;

COMMENT ON FUNCTION liquidations.compact_exchange_month_changes() IS
    'Folds each exchange and month''s changes in exchange_month_change into one row; skips at once (returns 0) while '
    'another transaction folds. Returns the rows it wrote.';

INSERT INTO liquidations.exchange_month_change
SELECT exchange, month, count(*), sum(total_trades), sum(total_amount), sum(long_trades), sum(long_amount),
       sum(short_trades), sum(short_amount)
FROM liquidations.token_month_exchange
GROUP BY exchange, month;

CREATE VIEW liquidations.exchange_monthly AS
SELECT c.month, c.exchange, coalesce(x.name, c.exchange) AS exchange_name, sum(c.assets)::integer AS assets,
       sum(c.total_trades)::bigint AS total_trades, trim_scale(sum(c.total_amount)) AS total_amount_usd,
       sum(c.long_trades)::bigint AS long_trades, trim_scale(sum(c.long_amount)) AS long_amount_usd,
       sum(c.short_trades)::bigint AS short_trades, trim_scale(sum(c.short_amount)) AS short_amount_usd
FROM liquidations.exchange_month_change AS c
LEFT JOIN liquidations.exchange AS x ON x.exchange = c.exchange
GROUP BY c.month, c.exchange, x.name
HAVING sum(c.assets) > 0;

COMMENT ON VIEW liquidations.exchange_monthly IS
    'Liquidations per exchange and calendar month (UTC), every asset together: the sums of liquidations.monthly_by_exchange '
    'over the assets, exact and current, read from about one row per exchange and month.';
COMMENT ON COLUMN liquidations.exchange_monthly.month IS 'The first day of the calendar month (UTC).';
COMMENT ON COLUMN liquidations.exchange_monthly.exchange IS 'Kaiko exchange code.';
COMMENT ON COLUMN liquidations.exchange_monthly.exchange_name IS
    'Display name of the exchange (the code when the name is unknown).';
COMMENT ON COLUMN liquidations.exchange_monthly.assets IS 'Assets with liquidations on this exchange in the month.';
COMMENT ON COLUMN liquidations.exchange_monthly.total_trades IS
    'Number of liquidation events on this exchange in the month, every asset.';
COMMENT ON COLUMN liquidations.exchange_monthly.total_amount_usd IS
    'Value of all liquidations on this exchange in the month in USD, every asset.';
COMMENT ON COLUMN liquidations.exchange_monthly.long_trades IS
    'Number of long positions liquidated on this exchange in the month, every asset.';
COMMENT ON COLUMN liquidations.exchange_monthly.long_amount_usd IS
    'Value of long liquidations on this exchange in the month in USD, every asset.';
COMMENT ON COLUMN liquidations.exchange_monthly.short_trades IS
    'Number of short positions liquidated on this exchange in the month, every asset.';
COMMENT ON COLUMN liquidations.exchange_monthly.short_amount_usd IS
    'Value of short liquidations on this exchange in the month in USD, every asset.';

GRANT SELECT ON liquidations.exchange_monthly TO liquidations_reader;
