-- liqsync schema, version 9: an hour that turned empty stays open until a later read confirms it.
--
-- A stored hour with liquidations that a re-read turns empty is either a revision (Kaiko removed
-- it) or an upstream outage answering "nothing" for a while; one answer cannot tell them apart.
-- Such an hour is kept here, in the same transaction that wrote it empty. Sync passes re-read it
-- (with every newly settled hour, and once its confirmation is due even in a pass with nothing
-- new), and the views do not call it final, until a read at least a day after it emptied still
-- finds it empty (a revision, confirmed) or brings its liquidations back (an outage, repaired).

CREATE TABLE liquidations.emptied_hour (
    asset          text        NOT NULL REFERENCES liquidations.asset (asset) ON DELETE CASCADE,
    interval_start timestamptz NOT NULL,
    emptied_at     timestamptz NOT NULL,
    PRIMARY KEY (asset, interval_start)
);
COMMENT ON TABLE liquidations.emptied_hour IS
    'Stored hours that had liquidations until a re-read found them empty, kept open (re-read, not final) until a read '
    'at least a day later confirms the emptiness or brings the liquidations back.';
COMMENT ON COLUMN liquidations.emptied_hour.emptied_at IS
    'When the read that found the hour empty started (liqsync''s clock).';

-- is_final is false for an open hour (and a day holding one); sync_status counts them. ----------

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
       t.interval_start < a.watermark - make_interval(hours => a.lookback_hours)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = t.asset AND o.interval_start = t.interval_start) AS is_final
FROM liquidations.token_interval AS t
JOIN liquidations.asset AS a ON a.asset = t.asset;

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
       e.interval_start < a.watermark - make_interval(hours => a.lookback_hours)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = e.asset AND o.interval_start = e.interval_start) AS is_final
FROM liquidations.token_interval_exchange AS e
JOIN liquidations.exchange AS x ON x.exchange = e.exchange
JOIN liquidations.asset AS a ON a.asset = e.asset;

CREATE OR REPLACE VIEW liquidations.daily AS
SELECT d.asset, d.day, d.hours_covered, d.total_trades, d.total_amount_usd, d.long_trades, d.long_amount_usd,
       d.short_trades, d.short_amount_usd, d.updated_at,
       (d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = d.asset AND o.interval_start >= d.day::timestamp AT TIME ZONE 'UTC'
                             AND o.interval_start < (d.day + 1)::timestamp AT TIME ZONE 'UTC') AS is_final
FROM (
    SELECT t.asset,
           (t.interval_start AT TIME ZONE 'UTC')::date AS day,
           count(*)::integer   AS hours_covered,
           sum(t.total_trades) AS total_trades,
           sum(t.total_amount) AS total_amount_usd,
           sum(t.long_trades)  AS long_trades,
           sum(t.long_amount)  AS long_amount_usd,
           sum(t.short_trades) AS short_trades,
           sum(t.short_amount) AS short_amount_usd,
           max(t.updated_at)   AS updated_at
    FROM liquidations.token_interval AS t
    GROUP BY t.asset, (t.interval_start AT TIME ZONE 'UTC')::date
) AS d
JOIN liquidations.asset AS a ON a.asset = d.asset;

CREATE OR REPLACE VIEW liquidations.daily_by_exchange AS
SELECT d.asset, d.day, d.exchange, d.exchange_name, d.hours_covered, d.total_trades, d.total_amount_usd,
       d.long_trades, d.long_amount_usd, d.short_trades, d.short_amount_usd, d.updated_at,
       (d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours)
           AND NOT EXISTS (SELECT 1 FROM liquidations.emptied_hour AS o
                           WHERE o.asset = d.asset AND o.interval_start >= d.day::timestamp AT TIME ZONE 'UTC'
                             AND o.interval_start < (d.day + 1)::timestamp AT TIME ZONE 'UTC') AS is_final
FROM (
    SELECT e.asset,
           (e.interval_start AT TIME ZONE 'UTC')::date AS day,
           e.exchange,
           coalesce(x.name, e.exchange) AS exchange_name,
           count(*)::integer   AS hours_covered,
           sum(e.total_trades) AS total_trades,
           sum(e.total_amount) AS total_amount_usd,
           sum(e.long_trades)  AS long_trades,
           sum(e.long_amount)  AS long_amount_usd,
           sum(e.short_trades) AS short_trades,
           sum(e.short_amount) AS short_amount_usd,
           max(e.updated_at)   AS updated_at
    FROM liquidations.token_interval_exchange AS e
    JOIN liquidations.exchange AS x ON x.exchange = e.exchange
    GROUP BY e.asset, (e.interval_start AT TIME ZONE 'UTC')::date, e.exchange, x.name
) AS d
JOIN liquidations.asset AS a ON a.asset = d.asset;

CREATE OR REPLACE VIEW liquidations.sync_status AS
SELECT a.asset,
       a.enabled,
       a.sync_from,
       a.watermark,
       now() - a.watermark AS lag,
       a.last_synced_at,
       a.last_error,
       a.last_error_at,
       a.lookback_hours,
       a.watermark - make_interval(hours => a.lookback_hours) AS final_before,
       (SELECT count(*) FROM liquidations.emptied_hour AS o WHERE o.asset = a.asset) AS open_hours
FROM liquidations.asset AS a;

COMMENT ON COLUMN liquidations.hourly.is_final IS
    'True once liqsync will not change the hour again: it is older than its asset''s re-read horizon (lookback_hours '
    'below the watermark) and not open (an hour whose liquidations a re-read emptied stays open, and is re-read, until '
    'a read a day later confirms it). False while a revision may still change it.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.is_final IS
    'True once liqsync will not change the hour again: older than its asset''s re-read horizon and not open (see hourly.is_final).';
COMMENT ON COLUMN liquidations.daily.is_final IS
    'True once every hour of the day is final: the whole day is older than the re-read horizon and holds no open hour.';
COMMENT ON COLUMN liquidations.daily_by_exchange.is_final IS
    'True once every hour of the day is final: the whole day is older than the re-read horizon and holds no open hour.';
COMMENT ON COLUMN liquidations.sync_status.final_before IS
    'Hours before this instant are final unless open (watermark - lookback_hours; see open_hours).';
COMMENT ON COLUMN liquidations.sync_status.open_hours IS
    'Stored hours whose liquidations a re-read emptied, re-read until a read a day later confirms it or brings them back; '
    'not final meanwhile.';
