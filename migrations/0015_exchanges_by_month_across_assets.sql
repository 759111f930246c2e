-- liqsync schema, version 15: every asset's exchanges by month, in a few hundred rows.
--
-- "Each exchange by month (or year) over the whole history, every asset together" read one row
-- per asset, month and exchange (185,000 at 500 assets and three years) and grouped them: over
-- 100 ms. A rollup per exchange and month across assets answers it from some 700 rows, but every
-- asset's writer would update the same rows in its chunk's transaction: writers would queue
-- behind each other's row locks until commit, and take them in different orders. So the rollup is
-- a log of changes instead, which writers only append to:
--
-- * exchange_month_change holds signed changes to the sums per exchange and month. A trigger on
--   token_month_exchange (the per-asset monthly rollup, itself exact and current) appends, for
--   each row inserted, updated or deleted, the new figures minus the old ones, whatever made the
--   change (a chunk, a repair, an asset's removal). Appending takes no lock another writer waits
--   for.
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
-- The trigger and the first sums are made in one transaction that holds token_month_exchange
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
    'Signed changes to every asset''s sums per exchange and calendar month (UTC), appended by a trigger on '
    'token_month_exchange and folded by compact_exchange_month_changes(): the sum of an exchange and month''s rows is '
    'the sum of token_month_exchange over the assets. Read through liquidations.exchange_monthly. Emptying '
    'token_month_exchange with TRUNCATE bypasses the trigger.';
COMMENT ON COLUMN liquidations.exchange_month_change.assets IS
    'Change to the number of assets with liquidations on the exchange in the month (+1 a new row, -1 a deleted one).';

CREATE FUNCTION liquidations.record_exchange_month_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.exchange = NEW.exchange AND OLD.month = NEW.month THEN
        IF (OLD.total_trades, OLD.total_amount, OLD.long_trades, OLD.long_amount, OLD.short_trades, OLD.short_amount)
           IS DISTINCT FROM
           (NEW.total_trades, NEW.total_amount, NEW.long_trades, NEW.long_amount, NEW.short_trades, NEW.short_amount)
        THEN
            INSERT INTO liquidations.exchange_month_change
            VALUES (NEW.exchange, NEW.month, 0, NEW.total_trades - OLD.total_trades, NEW.total_amount - OLD.total_amount,
                    NEW.long_trades - OLD.long_trades, NEW.long_amount - OLD.long_amount,
                    NEW.short_trades - OLD.short_trades, NEW.short_amount - OLD.short_amount);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO liquidations.exchange_month_change
        VALUES (OLD.exchange, OLD.month, -1, -OLD.total_trades, -OLD.total_amount, -OLD.long_trades, -OLD.long_amount,
                -OLD.short_trades, -OLD.short_amount);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO liquidations.exchange_month_change
        VALUES (NEW.exchange, NEW.month, 1, NEW.total_trades, NEW.total_amount, NEW.long_trades, NEW.long_amount,
                NEW.short_trades, NEW.short_amount);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION liquidations.record_exchange_month_change() IS
    'Appends the change a row of token_month_exchange made to its exchange and month''s sums.';

LOCK TABLE liquidations.token_month_exchange IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER exchange_month_change
    AFTER INSERT OR UPDATE OR DELETE ON liquidations.token_month_exchange
    FOR EACH ROW EXECUTE FUNCTION liquidations.record_exchange_month_change();

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
