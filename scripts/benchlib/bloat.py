"""Years of revisions, compressed: a year of hourly `liqsync sync` passes over 20 assets against
a stand-in whose hours stay provisional for 12 hours and go through up to four versions in that
time (each hour re-read by every pass through its 24-hour lookback), with autovacuum only. Then
the tables' and indexes' size against a fresh load of the same final data into an empty database,
and the share of updates PostgreSQL made as HOT updates (no index touched, space reused within
the page)."""

import os
import time
from datetime import datetime, timedelta, timezone

from .environment import iso, log

ASSETS = [f"rev{i:02d}" for i in range(20)]
DAYS = int(os.environ.get("LIQSYNC_BENCH_BLOAT_DAYS", "365"))
START = datetime(2025, 1, 8, tzinfo=timezone.utc)
REVISION_HOURS = "12"
REVISION_STAGES = "4"
# Each pass a quarter past the hour: the hour before has settled (the default settle delay, 10 minutes).
PAST_THE_HOUR = timedelta(minutes=15)
TABLES = ("token_interval", "token_interval_exchange", "token_day", "token_day_exchange", "token_month",
          "token_month_exchange", "exchange_month_change", "token_day_exchange_running")
DATABASE = "bench_bloat"
FRESH = "bench_bloat_fresh"


def sizes(bench, database):
    return {table: int(bench.psql(database, f"SELECT pg_total_relation_size('liquidations.{table}')")) for table in TABLES}


def hot_shares(bench, database):
    rows = bench.psql(database, f"""
        SELECT relname || ' ' || n_tup_upd || ' ' || n_tup_hot_upd || ' ' || autovacuum_count FROM pg_stat_user_tables
        WHERE schemaname = 'liquidations' AND relname IN ({", ".join(f"'{t}'" for t in TABLES)})""").splitlines()
    result = {}
    for row in rows:
        table, updates, hot, autovacuums = row.split()
        result[table] = {"updates": int(updates), "hot_updates": int(hot), "autovacuums": int(autovacuums)}
    return result


def wait_for_autovacuum(bench, database, limit_s=300):
    """Until no table holds more dead rows than autovacuum's threshold for it (a real year has
    hours between passes for autovacuum to catch up; the compressed one gets this wait)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        behind = bench.psql(database, f"""
            SELECT count(*) FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
            WHERE s.schemaname = 'liquidations' AND s.relname IN ({", ".join(f"'{t}'" for t in TABLES)})
              AND s.n_dead_tup > 50 + coalesce((SELECT split_part(o, '=', 2)::float FROM unnest(c.reloptions) AS o
                                                 WHERE o LIKE 'autovacuum_vacuum_scale_factor=%'), 0.2) * c.reltuples""")
        if behind == "0":
            break
        time.sleep(5)
    return time.monotonic() - started


def run(bench):
    base_url, fake = bench.start_fake("--revision-hours", REVISION_HOURS, "--revision-stages", REVISION_STAGES,
                                      assets=ASSETS, now=START + timedelta(days=1) + PAST_THE_HOUR)
    try:
        bench.create_database(DATABASE)
        bench.liqsync(DATABASE, ["assets", "add", *ASSETS, "--since", START.strftime("%Y-%m-%d")])
        now = START + timedelta(days=1) + PAST_THE_HOUR
        passes = DAYS * 24
        started = time.monotonic()
        bench.liqsync(DATABASE, ["sync", "--now", iso(now), "--base-url", base_url])
        for number in range(1, passes):
            bench.advance_fake_clock(base_url, 1)
            now += timedelta(hours=1)
            bench.liqsync(DATABASE, ["sync", "--now", iso(now), "--base-url", base_url])
            if number % (24 * 30) == 0:
                log(f"bloat: {number // 24} days of hourly passes, {time.monotonic() - started:.0f} s")
        passes_s = time.monotonic() - started
        waited = wait_for_autovacuum(bench, DATABASE)
        revised = int(bench.psql(DATABASE, "SELECT count(*) FROM liquidations.revision"))
        watermark = bench.psql(DATABASE, "SELECT min(watermark) FROM liquidations.asset")
        after_passes = sizes(bench, DATABASE)
        hot = hot_shares(bench, DATABASE)
        rows = bench.data_rows(DATABASE)
        revision_log = int(bench.psql(DATABASE, "SELECT pg_total_relation_size('liquidations.revision')"))

        # The same final data loaded once into an empty database, at the same clock.
        bench.create_database(FRESH)
        bench.liqsync(FRESH, ["backfill", *ASSETS, "--from", START.strftime("%Y-%m-%d"), "--to", watermark,
                              "--now", iso(now), "--base-url", base_url])
        fresh = sizes(bench, FRESH)
        if bench.data_rows(FRESH) != rows:
            raise SystemExit(f"bench: the fresh load holds {bench.data_rows(FRESH)} rows, the revised one {rows}")
    finally:
        bench.stop_fake(fake)
    bench.drop_database(DATABASE)
    bench.drop_database(FRESH)
    updates = sum(t["updates"] for t in hot.values())
    return {"days": DAYS, "assets": len(ASSETS), "passes": passes, "passes_s": passes_s, "autovacuum_wait_s": waited,
            "hours": rows[0], "exchange_rows": rows[1], "revisions_logged": revised,
            "bytes_after_passes": after_passes, "bytes_fresh": fresh,
            "ratio": sum(after_passes.values()) / sum(fresh.values()),
            "ratio_by_table": {t: after_passes[t] / fresh[t] if fresh[t] else None for t in TABLES},
            "hot_share": sum(t["hot_updates"] for t in hot.values()) / updates if updates else None,
            "updates_by_table": hot, "revision_log_bytes": revision_log}
