-- liqsync schema, version 4: the database refuses a watermark in the future.
--
-- liqsync itself never plans or writes an hour that has not ended and settled, and checks its
-- clock against this server's before planning. This trigger is the last line behind those
-- checks: whatever a client's clock says, no asset's watermark can pass the server's current
-- time, so hours that have not happened can never be claimed as loaded (which would also stop
-- the asset from syncing until real time caught up).
--
-- A trigger rather than a CHECK constraint: the rule depends on now(), and CHECK constraints
-- must be immutable.

CREATE FUNCTION liquidations.refuse_future_watermark() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.watermark > now() THEN
        RAISE EXCEPTION 'watermark % of asset % is in the future (the server''s time is %)',
            NEW.watermark, NEW.asset, now()
            USING ERRCODE = 'check_violation',
                  HINT = 'Hours are loaded once they have ended; check the clock of the machine running liqsync.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION liquidations.refuse_future_watermark() IS
    'Trigger function: refuses an asset watermark later than the server''s now() (hours that have not ended cannot be loaded).';

CREATE TRIGGER watermark_not_in_future
    BEFORE INSERT OR UPDATE OF watermark ON liquidations.asset
    FOR EACH ROW EXECUTE FUNCTION liquidations.refuse_future_watermark();
COMMENT ON TRIGGER watermark_not_in_future ON liquidations.asset IS
    'No asset''s watermark may pass the server''s current time.';
