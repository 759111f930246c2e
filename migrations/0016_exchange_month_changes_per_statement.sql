-- liqsync schema, version 16: the exchanges' month changes logged per statement, whichever text
-- of migration 0015 a database applied.
--
-- Migration 0015 landed twice. Its first text logged each row of token_month_exchange that a
-- statement inserted, updated or deleted with a PL/pgSQL call and an insert of its own (trigger
-- exchange_month_change); its second, statement-level triggers with transition tables, one
-- grouped insert per statement (about 0.1 s of PostgreSQL's time per 50 chunks of a backfill
-- against 0.25 s). The migration runner accepts either text's checksum for version 15; this
-- migration brings both to the statement-level triggers: it drops the per-row trigger and its
-- function where they exist and makes the statement-level function and triggers anew. The
-- changes logged sum to the same figures either way: what the view exchange_monthly reads is
-- unchanged, and the rows already logged stay as they are.
--
-- All in one transaction that holds token_month_exchange against writers (SHARE ROW EXCLUSIVE;
-- readers go on): no change is logged twice or missed.

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
CREATE OR REPLACE FUNCTION liquidations.record_exchange_month_changes() RETURNS trigger
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

DROP TRIGGER IF EXISTS exchange_month_change ON liquidations.token_month_exchange;
DROP FUNCTION IF EXISTS liquidations.record_exchange_month_change();
DROP TRIGGER IF EXISTS exchange_month_inserted ON liquidations.token_month_exchange;
DROP TRIGGER IF EXISTS exchange_month_updated ON liquidations.token_month_exchange;
DROP TRIGGER IF EXISTS exchange_month_deleted ON liquidations.token_month_exchange;

CREATE TRIGGER exchange_month_inserted
    AFTER INSERT ON liquidations.token_month_exchange REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();
CREATE TRIGGER exchange_month_updated
    AFTER UPDATE ON liquidations.token_month_exchange REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();
CREATE TRIGGER exchange_month_deleted
    AFTER DELETE ON liquidations.token_month_exchange REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION liquidations.record_exchange_month_changes();
