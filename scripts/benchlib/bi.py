"""The analysts' side at Kaiko's full coverage: every query docs/bi.md documents and every SQL
panel of the dashboard, timed on 500 assets x 1 year generated in the database at an older
schema and upgraded by the later migrations (each timed)."""

import json
import os
import re
import statistics
import subprocess
import time

from .environment import ROOT

BI_ASSETS = 500
BI_DAYS = 365
BI_EXCHANGES = ("bbit", "binc", "okex", "hbdm")
# The data is generated at this schema version, and the migrations after it are the upgrade.
GENERATED_AT = 11


def documented_queries():
    """The `-- example:` blocks of docs/bi.md and the SQL panels of the dashboard, with the
    dashboard's asset and a 30-day range filled in."""
    queries = {}
    with open(os.path.join(ROOT, "docs/bi.md")) as file:
        for block in re.findall(r"```sql\n(.*?)```", file.read(), re.S):
            first, _, rest = block.partition("\n")
            if first.startswith("-- example: "):
                queries[first[len("-- example: "):].strip()] = rest.strip().rstrip(";")
    with open(os.path.join(ROOT, "deploy/grafana/liqsync.json")) as file:
        dashboard = json.load(file)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            sql = target.get("rawSql")
            if not sql:
                continue
            sql = sql.replace("'$asset'", "'a042'")
            sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN now() - interval '30 days' AND now()", sql)
            queries[f"dashboard: {panel['title']}"] = sql
    return queries


def execution_ms(bench, database, sql, repeats):
    """The server's execution time (EXPLAIN ANALYZE), median of `repeats` after one that warms the cache."""
    timings = []
    for _ in range(repeats + 1):
        plan = bench.psql(database, "EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
        timings.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
    return statistics.median(timings[1:])


def migration_files():
    return sorted(f for f in os.listdir(os.path.join(ROOT, "migrations")) if f.endswith(".sql"))


def generate(bench, database, assets=BI_ASSETS, days=BI_DAYS, exchanges=BI_EXCHANGES):
    """`assets` assets x `days` days up to now (real time: the queries say current_date) with
    `exchanges` rows an hour, generated in the database at schema version GENERATED_AT."""
    bench.create_database(database, migrate=False)
    for name in migration_files():
        if int(name[:4]) <= GENERATED_AT:
            subprocess.run(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", database, "-f",
                            os.path.join(ROOT, "migrations", name)], env=bench.env, check=True, stdout=subprocess.DEVNULL)
    figures = ", ".join(bench.figures())
    share = len(exchanges)
    per_exchange = ", ".join(f"{figure} / {share}" for figure in bench.figures())
    codes = ",".join(f"'{x}'" for x in exchanges)
    bench.psql(database, f"""
        INSERT INTO liquidations.asset (asset, sync_from, watermark)
        SELECT 'a' || lpad(n::text, 3, '0'), w - interval '{days} days', w
        FROM generate_series(1, {assets}) AS n, (SELECT date_trunc('hour', now()) - interval '1 hour' AS w) AS x;
        INSERT INTO liquidations.token_interval (asset, interval_start, {figures})
        SELECT asset, h, {share} * (k % 50 + k / 50 % 50), {share} * (k % 100000 * 0.37 + k / 100000 % 100000 * 0.29),
               {share} * (k % 50), {share} * (k % 100000 * 0.37), {share} * (k / 50 % 50), {share} * (k / 100000 % 100000 * 0.29)
        FROM (SELECT a.asset, h, abs(hashtext(a.asset || h::text))::bigint AS k
              FROM liquidations.asset AS a,
                   generate_series(a.sync_from, a.watermark - interval '1 hour', interval '1 hour') AS h) AS g;
        INSERT INTO liquidations.token_interval_exchange (asset, interval_start, exchange, {figures})
        SELECT asset, interval_start, x, {per_exchange}
        FROM liquidations.token_interval, unnest(ARRAY[{codes}]) AS x;""")
    for table in ("token_interval", "token_interval_exchange", "asset"):
        bench.psql(database, f"VACUUM ANALYZE liquidations.{table}")


def upgrade(bench, database):
    """`liqsync migrate` from GENERATED_AT, as an operator upgrades; its wall time."""
    started = time.monotonic()
    bench.liqsync(database, ["migrate"])
    return time.monotonic() - started


def bi_at_scale(bench):
    database = "bench_bi"
    started = time.monotonic()
    generate(bench, database)
    generated = time.monotonic() - started
    hours, exchange_rows = bench.data_rows(database)
    migration_s = upgrade(bench, database)
    for table in ("token_day", "token_day_exchange"):
        bench.psql(database, f"VACUUM ANALYZE liquidations.{table}")
    queries = {name: execution_ms(bench, database, sql, 5) for name, sql in documented_queries().items()}
    bench.drop_database(database)
    return {"hours": hours, "exchange_rows": exchange_rows, "generated_s": generated,
            f"upgrade_from_{GENERATED_AT}_s": migration_s, "queries_ms": queries}
