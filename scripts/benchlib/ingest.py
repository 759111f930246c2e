"""The ingest path against PostgreSQL's own limit: liqsync's backfill of 10 assets x 180 days,
the COPY of the same rows into the same tables and into copies with their primary keys only,
the no-op resync, and peak memory."""

import re
import time
from datetime import timedelta

from .environment import BACKFILL_ASSETS, END, MAX_RPS, NOW, iso

INGEST_DAYS = 180


def backfill_arguments(base_url, assets=BACKFILL_ASSETS, days=INGEST_DAYS):
    return ["backfill", *assets, "--from", iso(END - timedelta(days=days)), "--to", iso(END), "--now", iso(NOW),
            "--base-url", base_url, "--max-requests-per-second", MAX_RPS]


def tuple_writes(bench, database):
    """Rows inserted, updated and deleted in the data tables so far (all sessions)."""
    return int(bench.psql(database, """
        SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables
        WHERE schemaname = 'liquidations' AND relname IN ('token_interval', 'token_interval_exchange')"""))


def end_to_end(bench, base_url, run, binary=None, noop=True):
    """The backfill into an empty database, timed after the same backfill into a scratch one:
    in the first run that makes the stand-in build its pages (timed, reported as "cold"); after
    it the stand-in serves them from memory, as an API on machines of its own would, and the
    timed backfill measures liqsync and PostgreSQL, on the same footing as the COPY baseline
    that reads a file. Then (`noop`) the same backfill again over unchanged data."""
    arguments = backfill_arguments(base_url)
    bench.create_database(f"bench_warm_{run}")
    cold_wall, _, _ = bench.liqsync(f"bench_warm_{run}", arguments, measure=True, binary=binary)
    bench.drop_database(f"bench_warm_{run}")
    database = f"bench_e2e_{run}"
    bench.create_database(database)
    wall, rss, _ = bench.liqsync(database, arguments, measure=True, binary=binary)
    hours, exchanges = bench.data_rows(database)
    result = {
        "wall_s": wall, "warm_up_wall_s": cold_wall, "hours": hours, "exchange_rows": exchanges, "rows": hours + exchanges,
        "hours_per_s": hours / wall, "exchange_rows_per_s": exchanges / wall, "rows_per_s": (hours + exchanges) / wall,
        "peak_rss_mib": rss / 1024,
    }
    if noop:
        before = tuple_writes(bench, database)
        noop_wall, _, noop_out = bench.liqsync(database, arguments + ["--restart"], measure=True, binary=binary)
        time.sleep(1.5)  # let the server publish the finished sessions' statistics
        unchanged = re.search(r"(\d+) unchanged", noop_out.splitlines()[-1])
        result.update({
            "noop_wall_s": noop_wall, "noop_rows_written": tuple_writes(bench, database) - before,
            "noop_rows_unchanged": int(unchanged.group(1)) if unchanged else None, "noop_speedup": wall / noop_wall,
        })
    bench.drop_database(database)
    return result


def copy_baseline(bench, files, run, assets=BACKFILL_ASSETS, name="copy"):
    """psql's \\copy of the same rows into identical empty tables."""
    database = f"bench_{name}_{run}"
    bench.create_database(database)
    bench.track(database, assets)
    wall = bench.copy_files(database, files)
    hours, exchanges = bench.data_rows(database)
    bench.drop_database(database)
    return {"wall_s": wall, "rows": hours + exchanges, "hours": hours, "exchange_rows": exchanges,
            "rows_per_s": (hours + exchanges) / wall}


# The data tables' per-row elements, added one group at a time to empty copies that start with
# their primary keys only (the COPY baseline's other end: what PostgreSQL can take).
def _shapes(figures):
    checks = lambda table: ", ".join(f"ADD CHECK ({figure} >= 0)" for figure in figures)
    return {
        "primary keys only": "",
        "+ CHECKs": f"""
            ALTER TABLE shape.hours ADD CHECK (extract(epoch FROM interval_start) % 3600 = 0), {checks('hours')};
            ALTER TABLE shape.exchanges {checks('exchanges')};""",
        "+ foreign keys": """
            ALTER TABLE shape.hours ADD FOREIGN KEY (asset) REFERENCES liquidations.asset (asset) ON DELETE CASCADE;
            ALTER TABLE shape.exchanges ADD FOREIGN KEY (asset, interval_start)
                    REFERENCES shape.hours (asset, interval_start) ON DELETE CASCADE,
                ADD FOREIGN KEY (exchange) REFERENCES liquidations.exchange (exchange);""",
    }


SHAPE_NAMES = ["primary keys only", "+ CHECKs", "+ foreign keys"]


def _shape_tables(bench, elements=""):
    """Copies of the data tables with their primary keys only, then `elements` added."""
    columns = ", ".join(f"{figure} {kind} NOT NULL" for figure, kind in bench.figure_types().items())
    return f"""
        DROP SCHEMA IF EXISTS shape CASCADE; CREATE SCHEMA shape;
        CREATE TABLE shape.hours (asset text NOT NULL, interval_start timestamptz NOT NULL,
            {columns}, data_version text, loaded_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(), content_hash bigint,
            PRIMARY KEY (asset, interval_start));
        CREATE TABLE shape.exchanges (asset text NOT NULL, interval_start timestamptz NOT NULL,
            exchange text NOT NULL, {columns}, updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset, interval_start, exchange));
        {elements}"""


def schema_costs(bench, files, run):
    """COPY of the same rows into copies of the data tables, each step adding one group of
    per-row elements to the last: the cost of each, and the primary-key-only baseline."""
    database = f"bench_shape_{run}"
    bench.create_database(database)
    bench.track(database, BACKFILL_ASSETS)
    walls, elements = {}, ""
    for name, ddl in _shapes(bench.figures()).items():
        elements += ddl
        bench.psql(database, _shape_tables(bench, elements))
        bench.psql(database, "CHECKPOINT")
        walls[name] = bench.copy_files(database, files, "shape.hours", "shape.exchanges")
    bench.drop_database(database)
    return walls


def primary_key_only_copy(bench, files, name):
    """The write floor: psql's \\copy of the rows into tables with their primary keys only;
    (wall seconds, rows)."""
    database = f"bench_{name}"
    bench.create_database(database)
    bench.psql(database, _shape_tables(bench))
    bench.psql(database, "CHECKPOINT")
    wall = bench.copy_files(database, files, "shape.hours", "shape.exchanges")
    rows = int(bench.psql(database, "SELECT (SELECT count(*) FROM shape.hours) + (SELECT count(*) FROM shape.exchanges)"))
    bench.drop_database(database)
    return wall, rows


def memory(bench, base_url, days, run, binary=None):
    """Peak RSS of a backfill of one asset over `days`."""
    database = f"bench_mem_{days}_{run}"
    bench.create_database(database)
    _, rss, _ = bench.liqsync(database, backfill_arguments(base_url, ["bench00"], days), measure=True, binary=binary)
    bench.drop_database(database)
    return rss / 1024
