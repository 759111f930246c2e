-- liqsync schema, version 5: settled or provisional hours, and the log of revisions.
--
-- Kaiko revises recent hours after publishing them; liqsync re-reads a lookback of hours below
-- each asset's watermark and corrects them. This migration lets analysts see which hours may
-- still change (`is_final` on the hourly and daily views) and what changed and when (the
-- `revisions` view), and records each asset's lookback so the views know it.

-- The lookback in force, per asset (what `liqsync sync`/`run` re-read; `liqsync assets lookback`
-- changes it). 24 hours is what every earlier release re-read.
ALTER TABLE liquidations.asset
    ADD COLUMN lookback_hours integer NOT NULL DEFAULT 24 CHECK (lookback_hours BETWEEN 0 AND 100000);
COMMENT ON COLUMN liquidations.asset.lookback_hours IS
    'Hours below the watermark that each sync re-reads for revisions; older hours are final.';

-- A repair by `liqsync reconcile --repair` is a run of its own kind.
ALTER TABLE liquidations.sync_run DROP CONSTRAINT sync_run_kind_check;
ALTER TABLE liquidations.sync_run ADD CONSTRAINT sync_run_kind_check CHECK (kind IN ('sync', 'backfill', 'repair'));

-- Revisions: one row per changed figure set, written in the transaction that changed it. --------

CREATE TABLE liquidations.revision (
    revision_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset            text        NOT NULL REFERENCES liquidations.asset (asset) ON DELETE CASCADE,
    interval_start   timestamptz NOT NULL,
    -- NULL: the hour's totals; else one exchange of the hour.
    exchange         text,
    change           text        NOT NULL CHECK (change IN ('changed', 'added', 'removed')),
    old_total_trades bigint,
    old_total_amount numeric,
    old_long_trades  bigint,
    old_long_amount  numeric,
    old_short_trades bigint,
    old_short_amount numeric,
    new_total_trades bigint,
    new_total_amount numeric,
    new_long_trades  bigint,
    new_long_amount  numeric,
    new_short_trades bigint,
    new_short_amount numeric,
    data_version     text,
    detected_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revision_asset_detected ON liquidations.revision (asset, detected_at);
CREATE INDEX revision_asset_hour ON liquidations.revision (asset, interval_start);
COMMENT ON TABLE liquidations.revision IS
    'Changes liqsync made to hours already stored (a revision upstream, or a repair); query the revisions view.';

CREATE VIEW liquidations.revisions AS
SELECT r.asset,
       r.interval_start,
       r.exchange,
       CASE WHEN r.exchange IS NULL THEN NULL ELSE coalesce(x.name, r.exchange) END AS exchange_name,
       r.change,
       r.old_total_trades,
       r.old_total_amount AS old_total_amount_usd,
       r.old_long_trades,
       r.old_long_amount  AS old_long_amount_usd,
       r.old_short_trades,
       r.old_short_amount AS old_short_amount_usd,
       r.new_total_trades,
       r.new_total_amount AS new_total_amount_usd,
       r.new_long_trades,
       r.new_long_amount  AS new_long_amount_usd,
       r.new_short_trades,
       r.new_short_amount AS new_short_amount_usd,
       r.detected_at,
       r.data_version
FROM liquidations.revision AS r
LEFT JOIN liquidations.exchange AS x ON x.exchange = r.exchange;

COMMENT ON VIEW liquidations.revisions IS
    'Every change to an hour already stored: the totals (exchange NULL) or one exchange changed, added or removed, with the figures before and after. An unchanged re-read adds nothing.';
COMMENT ON COLUMN liquidations.revisions.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.revisions.interval_start IS 'Start of the UTC hour that changed.';
COMMENT ON COLUMN liquidations.revisions.exchange IS 'The exchange whose figures changed; NULL when the row is about the hour''s totals.';
COMMENT ON COLUMN liquidations.revisions.exchange_name IS 'Display name of the exchange (NULL for the totals).';
COMMENT ON COLUMN liquidations.revisions.change IS 'changed: figures differ; added: an exchange the hour did not have; removed: an exchange the hour no longer has.';
COMMENT ON COLUMN liquidations.revisions.old_total_trades IS 'Liquidation events before the change (NULL when added).';
COMMENT ON COLUMN liquidations.revisions.old_total_amount_usd IS 'USD value of all liquidations before the change.';
COMMENT ON COLUMN liquidations.revisions.old_long_trades IS 'Long positions liquidated before the change.';
COMMENT ON COLUMN liquidations.revisions.old_long_amount_usd IS 'USD value of long liquidations before the change.';
COMMENT ON COLUMN liquidations.revisions.old_short_trades IS 'Short positions liquidated before the change.';
COMMENT ON COLUMN liquidations.revisions.old_short_amount_usd IS 'USD value of short liquidations before the change.';
COMMENT ON COLUMN liquidations.revisions.new_total_trades IS 'Liquidation events after the change (NULL when removed).';
COMMENT ON COLUMN liquidations.revisions.new_total_amount_usd IS 'USD value of all liquidations after the change.';
COMMENT ON COLUMN liquidations.revisions.new_long_trades IS 'Long positions liquidated after the change.';
COMMENT ON COLUMN liquidations.revisions.new_long_amount_usd IS 'USD value of long liquidations after the change.';
COMMENT ON COLUMN liquidations.revisions.new_short_trades IS 'Short positions liquidated after the change.';
COMMENT ON COLUMN liquidations.revisions.new_short_amount_usd IS 'USD value of short liquidations after the change.';
COMMENT ON COLUMN liquidations.revisions.detected_at IS 'When liqsync wrote the change.';
COMMENT ON COLUMN liquidations.revisions.data_version IS 'Kaiko''s data_version of the answer that brought the new figures (NULL for a repair without one).';

GRANT SELECT ON liquidations.revisions TO liquidations_reader;

-- is_final on the hourly and daily views (added at the end: existing queries are unaffected). --
-- An hour is final once it is older than its asset's re-read horizon (lookback_hours below the
-- watermark): the service will not read it again. A day is final when all its hours are. The
-- daily views aggregate first and join the asset after, so filters on asset and day still reach
-- the (asset, day) indexes below the aggregation.

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
       t.interval_start < a.watermark - make_interval(hours => a.lookback_hours) AS is_final
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
       e.interval_start < a.watermark - make_interval(hours => a.lookback_hours) AS is_final
FROM liquidations.token_interval_exchange AS e
JOIN liquidations.exchange AS x ON x.exchange = e.exchange
JOIN liquidations.asset AS a ON a.asset = e.asset;

CREATE OR REPLACE VIEW liquidations.daily AS
SELECT d.asset, d.day, d.hours_covered, d.total_trades, d.total_amount_usd, d.long_trades, d.long_amount_usd,
       d.short_trades, d.short_amount_usd, d.updated_at,
       (d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours) AS is_final
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
       (d.day + 1)::timestamp AT TIME ZONE 'UTC' <= a.watermark - make_interval(hours => a.lookback_hours) AS is_final
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
       a.watermark - make_interval(hours => a.lookback_hours) AS final_before
FROM liquidations.asset AS a;

COMMENT ON COLUMN liquidations.hourly.is_final IS
    'True once the hour is older than its asset''s re-read horizon (lookback_hours below the watermark): liqsync will not change it again. False while a revision may still change it.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.is_final IS
    'True once the hour is older than its asset''s re-read horizon: liqsync will not change it again.';
COMMENT ON COLUMN liquidations.daily.is_final IS
    'True once every hour of the day is final (the whole day is older than the re-read horizon).';
COMMENT ON COLUMN liquidations.daily_by_exchange.is_final IS
    'True once every hour of the day is final (the whole day is older than the re-read horizon).';
COMMENT ON COLUMN liquidations.sync_status.lookback_hours IS
    'Hours below the watermark each sync re-reads for revisions.';
COMMENT ON COLUMN liquidations.sync_status.final_before IS
    'Hours before this instant are final: liqsync will not re-read them (watermark - lookback_hours).';
