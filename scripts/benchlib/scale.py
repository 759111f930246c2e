"""The dataset's whole life at full coverage: 500 assets x 3 years with six exchange rows an hour
(13 million hours, 79 million exchange rows), generated in SQL at the last release's schema in a
cluster kept between runs, and upgraded by `liqsync migrate` (each migration timed). Then, as an
analyst and an operator would meet it: every query docs/bi.md documents, every SQL panel of the
dashboard and the questions an analyst asks without reading the docs (median of 3, warm);
`verify` after a day of changes and `verify --full`; `status` and `assets list`; storage per
asset-year beside PostgreSQL's own minimum for the same rows."""

import hashlib
import json
import os
import re
import subprocess
import time

from . import bi
from .environment import ROOT, Environment, log

ASSETS = 500
DAYS = 3 * 365
# Six of these an hour, a different six per asset and hour: Kaiko lists ten to fifteen venues.
EXCHANGES = ("bbit", "binc", "okex", "hbdm", "bfnx", "delt", "gate", "kcon", "mexc", "phmx")
PER_HOUR = 6
# The schema the data is generated at: the last release's. The migrations after it are the upgrade.
GENERATED_AT = 12
DATABASE = "scale"

# The questions an analyst asks without reading the docs first, written against the views the
# natural way (`a042` is one of the 500 assets).
NATURAL_QUERIES = {
    "per asset by month, whole history": """SELECT asset, month, total_amount_usd, total_trades
        FROM liquidations.monthly ORDER BY asset, month""",
    "per asset by year, whole history": """SELECT asset, date_trunc('year', month) AS year, sum(total_amount_usd) AS usd,
               sum(total_trades) AS trades
        FROM liquidations.monthly GROUP BY 1, 2 ORDER BY 1, 2""",
    "per exchange by month, whole history": """SELECT exchange_name, month, total_amount_usd
        FROM liquidations.exchange_monthly ORDER BY 1, 2""",
    "per exchange by year, whole history": """SELECT exchange_name, date_trunc('year', month) AS year,
               sum(total_amount_usd) AS usd, sum(total_trades) AS trades
        FROM liquidations.exchange_monthly GROUP BY 1, 2 ORDER BY 1, 2""",
    # The same question from the per-asset rows, for comparison: what exchange_monthly saves.
    "per exchange by year, from monthly_by_exchange": """SELECT exchange_name, date_trunc('year', month) AS year,
               sum(total_amount_usd) AS usd, sum(total_trades) AS trades
        FROM liquidations.monthly_by_exchange GROUP BY 1, 2 ORDER BY 1, 2""",
    "one asset's whole history by day": """SELECT day, total_amount_usd, long_amount_usd, short_amount_usd, total_trades
        FROM liquidations.daily WHERE asset = 'a042' ORDER BY day""",
    "largest hours of the last 7 days, all assets": """SELECT asset, interval_start, total_amount_usd, total_trades
        FROM liquidations.hourly WHERE interval_start >= now() - interval '7 days'
        ORDER BY total_amount_usd DESC LIMIT 10""",
    "largest hours of the last 30 days, all assets": """SELECT asset, interval_start, total_amount_usd, total_trades
        FROM liquidations.hourly WHERE interval_start >= now() - interval '30 days'
        ORDER BY total_amount_usd DESC LIMIT 10""",
    "largest hours ever, all assets": """SELECT asset, interval_start, total_amount_usd, total_trades
        FROM liquidations.hourly ORDER BY total_amount_usd DESC LIMIT 10""",
    # What liquidations.exchange_totals (docs/bi.md's exchange-share) saves: the same shares summed
    # from a row per asset, exchange and day.
    "each exchange's share per asset, last 30 days, from daily_by_exchange": """SELECT asset, exchange_name,
               round(100 * sum(total_amount_usd) / sum(sum(total_amount_usd)) OVER (PARTITION BY asset), 2) AS share_pct
        FROM liquidations.daily_by_exchange WHERE day >= current_date - 30
        GROUP BY asset, exchange_name ORDER BY asset, share_pct DESC""",
    "each exchange's share over the last year": """SELECT exchange_name,
               round(100 * sum(total_amount_usd) / sum(sum(total_amount_usd)) OVER (), 2) AS share_pct
        FROM liquidations.exchange_monthly WHERE month >= date_trunc('month', now() - interval '1 year')
        GROUP BY exchange_name ORDER BY share_pct DESC""",
}


def migration_files(up_to=None):
    files = sorted(f for f in os.listdir(os.path.join(ROOT, "migrations")) if f.endswith(".sql"))
    return [f for f in files if up_to is None or int(f[:4]) <= up_to]


def record_migrations(bench):
    """The migrations applied by psql recorded as `liqsync migrate` records them (version, file,
    SHA-256 of the text), so that it applies only the later ones."""
    bench.psql(DATABASE, """
        CREATE TABLE IF NOT EXISTS liquidations.schema_migrations (
            version integer PRIMARY KEY, file_name text NOT NULL, checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
    for name in migration_files(GENERATED_AT):
        with open(os.path.join(ROOT, "migrations", name), "rb") as file:
            checksum = hashlib.sha256(file.read()).hexdigest()
        bench.psql(DATABASE, f"INSERT INTO liquidations.schema_migrations (version, file_name, checksum) "
                             f"VALUES ({int(name[:4])}, '{name}', '{checksum}') ON CONFLICT (version) DO NOTHING")


def generate(bench):
    """The data at schema GENERATED_AT, ending at the current hour: hours, exchange rows, their
    daily rollups (as migration 0012 builds them), analysed. Each step is one transaction that
    fills empty tables, so an interrupted generation resumes at the step it was in."""
    if bench.psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{DATABASE}'") == "0":
        bench.create_database(DATABASE, migrate=False)
        for name in migration_files(GENERATED_AT):
            subprocess.run(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", DATABASE, "-f",
                            os.path.join(ROOT, "migrations", name)], env=bench.env, check=True, stdout=subprocess.DEVNULL)
        record_migrations(bench)
    figures = ", ".join(bench.figures())
    codes = ",".join(f"'{x}'" for x in EXCHANGES)
    # An hour's exchange rows: `PER_HOUR` of them, each exchange's counts and amounts (ten
    # decimals, as Kaiko's floats print) from the hour's hash; the hour's totals are their sums.
    exchange_rows = f"""
        SELECT (ARRAY[{codes}])[1 + (k + i * 3) % {len(EXCHANGES)}] AS exchange,
               (k >> (i * 3)) % 7 AS lt, (k >> (i * 3 + 1)) % 5 AS st,
               round(((k >> (i * 3)) % 7) * (1000 + (k >> i) % 90000) * 1.0000037, 10) AS la,
               round(((k >> (i * 3 + 1)) % 5) * (1000 + (k >> (i + 2)) % 90000) * 1.0000041, 10) AS sa
        FROM generate_series(0, {PER_HOUR - 1}) AS i"""
    hours = f"""
        SELECT a.asset, h, abs(hashtext(a.asset || h::text))::bigint AS k
        FROM liquidations.asset AS a, generate_series(a.sync_from, a.watermark - interval '1 hour', interval '1 hour') AS h"""
    # Each step with the table it fills (and so empties first: an interrupted insert left dead rows).
    # The hours go in asset by asset, as a backfill writes them; the daily rollups day by day, as
    # the hourly passes of the service write them (a day's row is inserted by its first pass), so
    # that the recent days analysts ask for lie together as they do in a database in service.
    steps = [
        ("assets", "asset", f"""
            INSERT INTO liquidations.asset (asset, sync_from, watermark)
            SELECT 'a' || lpad(n::text, 3, '0'), w - interval '{DAYS} days', w
            FROM generate_series(1, {ASSETS}) AS n, (SELECT date_trunc('hour', now()) - interval '1 hour' AS w) AS x"""),
        ("hours", "token_interval", f"""
            INSERT INTO liquidations.token_interval (asset, interval_start, {figures})
            SELECT g.asset, g.h, e.*
            FROM ({hours}) AS g,
                 LATERAL (SELECT sum(lt + st), sum(la + sa), sum(lt), sum(la), sum(st), sum(sa) FROM ({exchange_rows}) AS x) AS e"""),
        ("exchange rows", "token_interval_exchange", f"""
            INSERT INTO liquidations.token_interval_exchange (asset, interval_start, exchange, {figures})
            SELECT g.asset, g.h, e.exchange, e.lt + e.st, e.la + e.sa, e.lt, e.la, e.st, e.sa
            FROM ({hours}) AS g, LATERAL ({exchange_rows}) AS e"""),
        ("daily rollups", "token_day", f"""
            INSERT INTO liquidations.token_day (asset, day, hours_covered, {figures}, max_hour_amount, open_hours, updated_at)
            SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, count(*), sum(total_trades), sum(total_amount),
                   sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(total_amount), 0, max(updated_at)
            FROM liquidations.token_interval GROUP BY 1, 2 ORDER BY 2, 1;
            TRUNCATE liquidations.token_day_exchange;
            INSERT INTO liquidations.token_day_exchange (asset, day, exchange, hours_covered, {figures}, updated_at)
            SELECT asset, (interval_start AT TIME ZONE 'UTC')::date, exchange, count(*), sum(total_trades), sum(total_amount),
                   sum(long_trades), sum(long_amount), sum(short_trades), sum(short_amount), max(updated_at)
            FROM liquidations.token_interval_exchange GROUP BY 1, 2, 3 ORDER BY 2, 1, 3"""),
        ("vacuum", None, None),
    ]
    timings = {}
    for name, table, sql in steps:
        if table and bench.psql(DATABASE, f"SELECT EXISTS (SELECT FROM liquidations.{table})") == "t":
            log(f"scale: {name} generated before")
            continue
        log(f"scale: generating {name}")
        started = time.monotonic()
        if sql is None:
            bench.psql(DATABASE, "VACUUM ANALYZE")
        else:
            bench.psql(DATABASE, f"TRUNCATE liquidations.{table} CASCADE; {sql}")
        timings[name] = time.monotonic() - started
    bench.psql(DATABASE, f"""
        CREATE TABLE public.bench_meta (generated_at timestamptz, assets int, days int, exchanges int, timings jsonb);
        INSERT INTO public.bench_meta VALUES (now(), {ASSETS}, {DAYS}, {PER_HOUR}, '{json.dumps(timings)}')""")
    return timings


def upgrade(bench):
    """`liqsync migrate`, as an operator upgrades: each migration's time, from its output."""
    _, _, out = bench.liqsync(DATABASE, ["migrate"])
    applied = {m.group(1): float(m.group(2)) for m in re.finditer(r"Applied (\S+) \(([\d.]+) s\)", out)}
    if applied:
        previous = json.loads(bench.psql(DATABASE, "SELECT coalesce(max(timings::text), '{}') FROM public.bench_meta") or "{}")
        previous.update({f"migration {name}": seconds for name, seconds in applied.items()})
        bench.psql(DATABASE, f"UPDATE public.bench_meta SET timings = '{json.dumps(previous)}'")
    return applied


def analysts(bench):
    queries = {**bi.documented_queries(), **{f"natural: {name}": sql for name, sql in NATURAL_QUERIES.items()}}
    return {name: bi.execution_ms(bench, DATABASE, sql, 3) for name, sql in queries.items()}


def operators(bench):
    """`verify --full` (a clean verification to start from), then a day of changes (the
    rollups of the last two days rewritten, as a day of hourly passes leaves them) and the
    default `verify`; `status` and `assets list`, each the median of three."""
    timings = {}
    started = time.monotonic()
    bench.liqsync(DATABASE, ["verify", "--full"])
    timings["verify --full"] = time.monotonic() - started
    bench.psql(DATABASE, "UPDATE liquidations.token_day SET updated_at = now() WHERE day >= current_date - 1")
    started = time.monotonic()
    _, _, out = bench.liqsync(DATABASE, ["verify", "--json"])
    timings["verify, a day of changes"] = time.monotonic() - started
    report = json.loads(out)
    timings["verify: hours checked row by row"] = report["hours_checked"]
    timings["verify: days checked through the rollups"] = report["days_checked"]
    for name, arguments in (("status", ["status"]), ("assets list", ["assets", "list"])):
        walls = []
        for _ in range(3):
            started = time.monotonic()
            bench.liqsync(DATABASE, arguments)
            walls.append(time.monotonic() - started)
        timings[name] = sorted(walls)[1]
    return timings


def storage(bench):
    """Bytes per asset-year: liqsync's tables (data, rollups, their indexes) against the same
    hourly and exchange rows in tables with their key and figures only, freshly loaded, measured
    on ten assets."""
    sizes = {}
    for table in ("token_interval", "token_interval_exchange", "token_day", "token_day_exchange", "token_month",
                  "token_month_exchange", "exchange_month_change", "token_day_exchange_running"):
        sizes[table] = int(bench.psql(DATABASE, f"SELECT pg_total_relation_size('liquidations.{table}')"))
    asset_years = ASSETS * DAYS / 365
    figure_columns = ", ".join(f"{figure} {kind} NOT NULL" for figure, kind in bench.figure_types().items())
    figures = ", ".join(bench.figures())
    sample = "asset IN (SELECT asset FROM liquidations.asset ORDER BY asset LIMIT 10)"
    bench.psql(DATABASE, f"""
        DROP SCHEMA IF EXISTS minimal CASCADE; CREATE SCHEMA minimal;
        CREATE TABLE minimal.hours (asset text NOT NULL, interval_start timestamptz NOT NULL, {figure_columns},
                                    PRIMARY KEY (asset, interval_start));
        CREATE TABLE minimal.exchanges (asset text NOT NULL, interval_start timestamptz NOT NULL, exchange text NOT NULL,
                                        {figure_columns}, PRIMARY KEY (asset, interval_start, exchange));
        INSERT INTO minimal.hours SELECT asset, interval_start, {figures} FROM liquidations.token_interval WHERE {sample};
        INSERT INTO minimal.exchanges SELECT asset, interval_start, exchange, {figures}
            FROM liquidations.token_interval_exchange WHERE {sample}""")
    bench.psql(DATABASE, "VACUUM minimal.hours")
    bench.psql(DATABASE, "VACUUM minimal.exchanges")
    minimum = int(bench.psql(DATABASE, "SELECT pg_total_relation_size('minimal.hours') + pg_total_relation_size('minimal.exchanges')"))
    bench.psql(DATABASE, "DROP SCHEMA minimal CASCADE")
    sample_asset_years = 10 * DAYS / 365
    return {"bytes_per_asset_year": {table: size / asset_years for table, size in sizes.items()},
            "liqsync_per_asset_year": sum(sizes.values()) / asset_years,
            "minimum_per_asset_year": minimum / sample_asset_years,
            "database_bytes": int(bench.psql(DATABASE, "SELECT pg_database_size(current_database())"))}


def open_cluster(bin_dir, directory, regenerate):
    """The cluster kept between runs in `directory` (started, or made the first time); whether
    the data is still to be generated. `regenerate` starts over."""
    if regenerate and os.path.exists(directory):
        subprocess.run([os.path.join(ROOT, "scripts/pg-cluster"), "stop", directory], stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", directory], check=True)
    made = os.path.exists(os.path.join(directory, "data", "PG_VERSION"))
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    bench = Environment(bin_dir, directory)
    bench.start_cluster(resume=made)
    # Generation writes some 40 GB in a few statements: checkpoints far apart keep it moving.
    bench.psql("postgres", "ALTER SYSTEM SET max_wal_size = '16GB'")
    bench.psql("postgres", "SELECT pg_reload_conf()")
    generated = (bench.psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{DATABASE}'") == "1"
                 and bench.psql(DATABASE, "SELECT to_regclass('public.bench_meta') IS NOT NULL") == "t")
    return bench, not generated


def run(bin_dir, directory, regenerate=False):
    """Every measurement of this module against the kept cluster; the cluster is stopped after
    (its data kept)."""
    bench, fresh = open_cluster(bin_dir, directory, regenerate)
    try:
        return measure(bench, fresh)
    finally:
        bench.stop()


def measure(bench, fresh):
    result = {}
    if fresh:
        log(f"scale: generating {ASSETS} assets x {DAYS} days at schema {GENERATED_AT} (an hour on two cores, once)")
        result["generated_s"] = generate(bench)
    record_migrations(bench)
    # The writer adds each exchange code as it first appears; the generator writes rows directly.
    codes = ",".join(f"('{code}')" for code in EXCHANGES)
    bench.psql(DATABASE, f"INSERT INTO liquidations.exchange (exchange) VALUES {codes} ON CONFLICT DO NOTHING")
    log("scale: liqsync migrate")
    upgrade(bench)
    meta = bench.psql(DATABASE, "SELECT generated_at || '|' || timings::text FROM public.bench_meta")
    generated_at, timings = meta.split("|", 1)
    result["generated_at"] = generated_at
    result["generated_at_schema"] = GENERATED_AT
    result["timings_at_generation"] = json.loads(timings)
    hours, exchange_rows = bench.data_rows(DATABASE)
    result["hours"], result["exchange_rows"] = hours, exchange_rows
    log("scale: analysts' queries")
    result["queries_ms"] = analysts(bench)
    log("scale: verify, status, assets list")
    result["operators_s"] = operators(bench)
    log("scale: storage")
    result["storage"] = storage(bench)
    return result
