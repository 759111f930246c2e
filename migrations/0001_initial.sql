-- liqsync schema, version 1: tracked assets, hourly liquidation volumes (total and per
-- exchange), the sync audit trail, and the BI views analysts query.
--
-- Plain SQL, so a DBA can apply it with psql as well:
--   psql -v ON_ERROR_STOP=1 -1 -f migrations/0001_initial.sql
-- liqsync applies it in one transaction and records it in liquidations.schema_migrations.

CREATE SCHEMA IF NOT EXISTS liquidations;
COMMENT ON SCHEMA liquidations IS
    'Kaiko token-level liquidation volumes per asset and UTC hour, kept current by liqsync. Query the views; the tables are the ingester''s.';

-- Tracked assets ---------------------------------------------------------------------------

CREATE TABLE liquidations.asset (
    asset          text        PRIMARY KEY
                               CHECK (asset ~ '^[a-z0-9_.-]{1,32}$'),
    enabled        boolean     NOT NULL DEFAULT true,
    sync_from      timestamptz NOT NULL
                               CHECK (extract(epoch FROM sync_from)::numeric % 3600 = 0),
    -- Every hour in [sync_from, watermark) is stored; the watermark only moves forward.
    watermark      timestamptz NOT NULL
                               CHECK (extract(epoch FROM watermark)::numeric % 3600 = 0),
    last_synced_at timestamptz,
    last_error     text,
    last_error_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (watermark >= sync_from)
);
COMMENT ON TABLE liquidations.asset IS 'Assets liqsync tracks, where their history starts, and how far they are loaded.';

-- Exchanges: Kaiko code -> display name. Codes seen in data are added as they appear. -------

CREATE TABLE liquidations.exchange (
    exchange   text PRIMARY KEY CHECK (exchange <> ''),
    name       text,
    first_seen timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE liquidations.exchange IS 'Kaiko exchange codes and their display names.';

INSERT INTO liquidations.exchange (exchange, name) VALUES
    ('bbit', 'Bybit'),
    ('binc', 'Binance'),
    ('bfnx', 'Bitfinex'),
    ('bfly', 'bitFlyer'),
    ('bgon', 'Bitget'),
    ('bmex', 'BitMEX'),
    ('cbse', 'Coinbase'),
    ('cnex', 'CoinEx'),
    ('drbt', 'Deribit'),
    ('gtio', 'Gate.io'),
    ('hbdm', 'Huobi DM'),
    ('huob', 'Huobi'),
    ('hypr', 'Hyperliquid'),
    ('krkn', 'Kraken'),
    ('kcon', 'KuCoin'),
    ('mexc', 'MEXC'),
    ('okex', 'OKX'),
    ('phmx', 'Phemex');

-- Hourly totals per asset ------------------------------------------------------------------

CREATE TABLE liquidations.token_interval (
    asset          text        NOT NULL REFERENCES liquidations.asset (asset) ON DELETE CASCADE,
    interval_start timestamptz NOT NULL
                               CHECK (extract(epoch FROM interval_start)::numeric % 3600 = 0),
    total_trades   bigint      NOT NULL CHECK (total_trades >= 0),
    total_amount   numeric     NOT NULL CHECK (total_amount >= 0),
    long_trades    bigint      NOT NULL CHECK (long_trades >= 0),
    long_amount    numeric     NOT NULL CHECK (long_amount >= 0),
    short_trades   bigint      NOT NULL CHECK (short_trades >= 0),
    short_amount   numeric     NOT NULL CHECK (short_amount >= 0),
    data_version   text,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset, interval_start)
);
COMMENT ON TABLE liquidations.token_interval IS
    'One row per asset and UTC hour below the watermark; hours without liquidations are explicit zero rows.';

-- Per-exchange breakdown of each hour -------------------------------------------------------

CREATE TABLE liquidations.token_interval_exchange (
    asset          text        NOT NULL,
    interval_start timestamptz NOT NULL,
    exchange       text        NOT NULL REFERENCES liquidations.exchange (exchange),
    total_trades   bigint      NOT NULL CHECK (total_trades >= 0),
    total_amount   numeric     NOT NULL CHECK (total_amount >= 0),
    long_trades    bigint      NOT NULL CHECK (long_trades >= 0),
    long_amount    numeric     NOT NULL CHECK (long_amount >= 0),
    short_trades   bigint      NOT NULL CHECK (short_trades >= 0),
    short_amount   numeric     NOT NULL CHECK (short_amount >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset, interval_start, exchange),
    FOREIGN KEY (asset, interval_start)
        REFERENCES liquidations.token_interval (asset, interval_start) ON DELETE CASCADE
);
COMMENT ON TABLE liquidations.token_interval_exchange IS
    'Per-exchange figures of an hour; an exchange with no liquidations in that hour has no row.';

-- Audit trail of sync and backfill runs -----------------------------------------------------

CREATE TABLE liquidations.sync_run (
    run_id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset          text        NOT NULL REFERENCES liquidations.asset (asset) ON DELETE CASCADE,
    kind           text        NOT NULL CHECK (kind IN ('sync', 'backfill')),
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL CHECK (window_end >= window_start),
    status         text        NOT NULL CHECK (status IN ('ok', 'failed')),
    pages          integer     NOT NULL DEFAULT 0,
    hours_received integer     NOT NULL DEFAULT 0,
    rows_inserted  integer     NOT NULL DEFAULT 0,
    rows_updated   integer     NOT NULL DEFAULT 0,
    rows_deleted   integer     NOT NULL DEFAULT 0,
    rows_unchanged integer     NOT NULL DEFAULT 0,
    data_version   text,
    error          text,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_run_asset_finished ON liquidations.sync_run (asset, finished_at DESC);
COMMENT ON TABLE liquidations.sync_run IS 'One row per committed or failed chunk of a sync or backfill.';

-- Resumable backfills -----------------------------------------------------------------------

CREATE TABLE liquidations.backfill_job (
    job_id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset        text        NOT NULL REFERENCES liquidations.asset (asset) ON DELETE CASCADE,
    range_start  timestamptz NOT NULL,
    range_end    timestamptz NOT NULL CHECK (range_end > range_start),
    -- Every hour in [range_start, done_until) has been committed by this job.
    done_until   timestamptz NOT NULL,
    status       text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (done_until BETWEEN range_start AND range_end)
);
CREATE UNIQUE INDEX backfill_job_one_running_per_range
    ON liquidations.backfill_job (asset, range_start, range_end) WHERE status = 'running';
COMMENT ON TABLE liquidations.backfill_job IS 'Progress of backfills, so an interrupted one resumes where it stopped.';

-- BI views ----------------------------------------------------------------------------------

CREATE VIEW liquidations.hourly AS
SELECT t.asset,
       t.interval_start,
       t.interval_start + interval '1 hour' AS interval_end,
       t.total_trades,
       t.total_amount AS total_amount_usd,
       t.long_trades,
       t.long_amount  AS long_amount_usd,
       t.short_trades,
       t.short_amount AS short_amount_usd,
       t.updated_at
FROM liquidations.token_interval AS t;

CREATE VIEW liquidations.hourly_by_exchange AS
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
       e.updated_at
FROM liquidations.token_interval_exchange AS e
JOIN liquidations.exchange AS x ON x.exchange = e.exchange;

CREATE VIEW liquidations.daily AS
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
GROUP BY t.asset, (t.interval_start AT TIME ZONE 'UTC')::date;

CREATE VIEW liquidations.daily_by_exchange AS
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
GROUP BY e.asset, (e.interval_start AT TIME ZONE 'UTC')::date, e.exchange, x.name;

CREATE VIEW liquidations.sync_status AS
SELECT a.asset,
       a.enabled,
       a.sync_from,
       a.watermark,
       now() - a.watermark AS lag,
       a.last_synced_at,
       a.last_error,
       a.last_error_at
FROM liquidations.asset AS a;

-- Comments on every view and column (what BI tools show as descriptions) ---------------------

COMMENT ON VIEW liquidations.hourly IS
    'Liquidations per asset and UTC hour, all exchanges together. Dense: every hour from sync_from to the watermark has a row, zero when nothing was liquidated.';
COMMENT ON COLUMN liquidations.hourly.asset IS 'Kaiko base-asset code, lowercase (btc, eth, ...).';
COMMENT ON COLUMN liquidations.hourly.interval_start IS 'Start of the UTC hour (inclusive).';
COMMENT ON COLUMN liquidations.hourly.interval_end IS 'End of the UTC hour (exclusive): interval_start + 1 hour.';
COMMENT ON COLUMN liquidations.hourly.total_trades IS 'Number of liquidation events, long and short.';
COMMENT ON COLUMN liquidations.hourly.total_amount_usd IS 'Value of all liquidations in USD, exactly as Kaiko reported it.';
COMMENT ON COLUMN liquidations.hourly.long_trades IS 'Number of long positions liquidated.';
COMMENT ON COLUMN liquidations.hourly.long_amount_usd IS 'Value of long liquidations in USD.';
COMMENT ON COLUMN liquidations.hourly.short_trades IS 'Number of short positions liquidated.';
COMMENT ON COLUMN liquidations.hourly.short_amount_usd IS 'Value of short liquidations in USD.';
COMMENT ON COLUMN liquidations.hourly.updated_at IS 'When liqsync last changed this hour (a revision upstream, or the first load).';

COMMENT ON VIEW liquidations.hourly_by_exchange IS
    'Liquidations per asset, UTC hour and exchange. Sparse: an exchange without liquidations in an hour has no row.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.interval_start IS 'Start of the UTC hour (inclusive).';
COMMENT ON COLUMN liquidations.hourly_by_exchange.interval_end IS 'End of the UTC hour (exclusive).';
COMMENT ON COLUMN liquidations.hourly_by_exchange.exchange IS 'Kaiko exchange code (bbit, okex, binc, ...).';
COMMENT ON COLUMN liquidations.hourly_by_exchange.exchange_name IS 'Display name of the exchange (the code when the name is unknown).';
COMMENT ON COLUMN liquidations.hourly_by_exchange.total_trades IS 'Number of liquidation events on this exchange, long and short.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.total_amount_usd IS 'Value of all liquidations on this exchange in USD.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.long_trades IS 'Number of long positions liquidated on this exchange.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.long_amount_usd IS 'Value of long liquidations on this exchange in USD.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.short_trades IS 'Number of short positions liquidated on this exchange.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.short_amount_usd IS 'Value of short liquidations on this exchange in USD.';
COMMENT ON COLUMN liquidations.hourly_by_exchange.updated_at IS 'When liqsync last changed this row.';

COMMENT ON VIEW liquidations.daily IS
    'Liquidations per asset and UTC day, all exchanges together: sums of the hourly rows.';
COMMENT ON COLUMN liquidations.daily.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.daily.day IS 'The UTC calendar day.';
COMMENT ON COLUMN liquidations.daily.hours_covered IS 'Hours of this day that are loaded (24 for a complete day; fewer at the edges of the loaded range).';
COMMENT ON COLUMN liquidations.daily.total_trades IS 'Number of liquidation events in the day, long and short.';
COMMENT ON COLUMN liquidations.daily.total_amount_usd IS 'Value of all liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.long_trades IS 'Number of long positions liquidated in the day.';
COMMENT ON COLUMN liquidations.daily.long_amount_usd IS 'Value of long liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.short_trades IS 'Number of short positions liquidated in the day.';
COMMENT ON COLUMN liquidations.daily.short_amount_usd IS 'Value of short liquidations in the day in USD.';
COMMENT ON COLUMN liquidations.daily.updated_at IS 'Latest change to any hour of the day.';

COMMENT ON VIEW liquidations.daily_by_exchange IS
    'Liquidations per asset, UTC day and exchange: sums of the hourly per-exchange rows.';
COMMENT ON COLUMN liquidations.daily_by_exchange.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.daily_by_exchange.day IS 'The UTC calendar day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.exchange IS 'Kaiko exchange code.';
COMMENT ON COLUMN liquidations.daily_by_exchange.exchange_name IS 'Display name of the exchange (the code when the name is unknown).';
COMMENT ON COLUMN liquidations.daily_by_exchange.hours_covered IS 'Hours of this day in which this exchange had liquidations.';
COMMENT ON COLUMN liquidations.daily_by_exchange.total_trades IS 'Number of liquidation events on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.total_amount_usd IS 'Value of all liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.long_trades IS 'Number of long positions liquidated on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.long_amount_usd IS 'Value of long liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.short_trades IS 'Number of short positions liquidated on this exchange in the day.';
COMMENT ON COLUMN liquidations.daily_by_exchange.short_amount_usd IS 'Value of short liquidations on this exchange in the day in USD.';
COMMENT ON COLUMN liquidations.daily_by_exchange.updated_at IS 'Latest change to any hour of the day on this exchange.';

COMMENT ON VIEW liquidations.sync_status IS 'Per tracked asset: how far the data is loaded and how the last sync went.';
COMMENT ON COLUMN liquidations.sync_status.asset IS 'Kaiko base-asset code, lowercase.';
COMMENT ON COLUMN liquidations.sync_status.enabled IS 'Whether the service keeps this asset current.';
COMMENT ON COLUMN liquidations.sync_status.sync_from IS 'First hour of the loaded history.';
COMMENT ON COLUMN liquidations.sync_status.watermark IS 'Every hour before this instant (and from sync_from) is loaded.';
COMMENT ON COLUMN liquidations.sync_status.lag IS 'How far the watermark is behind the current time.';
COMMENT ON COLUMN liquidations.sync_status.last_synced_at IS 'When the last successful sync of this asset finished.';
COMMENT ON COLUMN liquidations.sync_status.last_error IS 'The last error of a sync of this asset; empty once a later sync succeeds.';
COMMENT ON COLUMN liquidations.sync_status.last_error_at IS 'When last_error happened.';

-- Read-only role for analysts and BI tools: the views, nothing else. ------------------------
-- Roles are cluster-wide: create it only if no other database of the cluster did already.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'liquidations_reader') THEN
        CREATE ROLE liquidations_reader NOLOGIN;
        COMMENT ON ROLE liquidations_reader IS
            'Read access to the liqsync BI views in schema liquidations. Grant it to analysts'' logins.';
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created concurrently by a migration of another database
END
$$;

GRANT USAGE ON SCHEMA liquidations TO liquidations_reader;
GRANT SELECT ON liquidations.hourly, liquidations.hourly_by_exchange, liquidations.daily,
    liquidations.daily_by_exchange, liquidations.sync_status
    TO liquidations_reader;
