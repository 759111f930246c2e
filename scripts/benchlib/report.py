"""The bench's results as the table it prints (the README's performance section reads the same
figures from bench-results.json)."""

import os

from .first_load import TARGET
from .environment import SYNC_ASSETS
from .passes import SYNC_IDEAL_S


def rows(results):
    rows = []
    e, c, m, s = results.get("end_to_end"), results.get("copy"), results.get("memory"), results.get("sync_passes")
    lat = results.get("latency_300ms")
    n = len(SYNC_ASSETS)
    if e and c:
        rows += [
            ("backfill 10 assets x 180 days, cold API", f"{e['warm_up_wall_s']:.2f} s (the stand-in building its pages)", ""),
            ("backfill 10 assets x 180 days", f"{e['wall_s']:.2f} s, {e['hours_per_s']:,.0f} hours/s, "
                                              f"{e['exchange_rows_per_s']:,.0f} exchange rows/s, {e['rows_per_s']:,.0f} rows/s", ""),
            ("  rows stored", f"{e['hours']:,} hourly + {e['exchange_rows']:,} exchange", ""),
            ("  peak RSS", f"{e['peak_rss_mib']:.1f} MiB", "<= 48 MiB"),
            ("psql COPY of the same rows", f"{c['wall_s']:.2f} s, {c['rows_per_s']:,.0f} rows/s", ""),
            ("end to end / COPY", f"{results['ratio_end_to_end_over_copy']:.2f}", ">= 0.5"),
            *[(f"  COPY, {name}", f"{wall:.2f} s", "") for name, wall in results["copy_by_schema_shape_s"].items()],
            ("end to end / COPY, primary keys only", f"{results['ratio_end_to_end_over_copy_primary_keys_only']:.2f}",
             ">= 0.55"),
            ("no-op resync (--restart)", f"{e['noop_wall_s']:.2f} s, {e['noop_speedup']:.1f}x faster", ">= 3x"),
            ("  rows written by PostgreSQL", f"{e['noop_rows_written']}", "0"),
        ]
    if m:
        rows.append(("peak RSS, 30 / 180 / 720 days",
                     f"{m['rss_30d_mib']:.1f} / {m['rss_180d_mib']:.1f} / {m['rss_720d_mib']:.1f} MiB", "flat, <= 48 MiB"))
    if s:
        rows += [
            (f"sync {n} assets, nothing new", f"{s['idle_wall_s']:.2f} s, {s['idle_api_requests']} API calls", "< 1 s, 0 calls"),
            (f"sync {n} assets, 1 new hour", f"{s['new_hour_wall_s']:.2f} s, {s['new_hour_api_requests']} API calls "
                                             f"(50 ms latency, concurrency 8)", f"<= {1.5 * SYNC_IDEAL_S:.1f} s"),
        ]
    if lat:
        rows += [
            ("1 asset x 18 months, no latency", f"{lat['no_latency_wall_s']:.2f} s, {lat['requests']} API calls", ""),
            ("  300 ms per request, at the defaults", f"{lat['prefetch_wall_s']:.2f} s = {lat['prefetch_over_ideal']:.2f}x the "
                                                   f"ideal {lat['ideal_s']:.2f} s; peak RSS {lat['prefetch_peak_rss_mib']:.1f} MiB",
             "<= 1.5x"),
            ("  300 ms per request, --prefetch 0", f"{lat['serial_wall_s']:.2f} s = {lat['serial_over_ideal']:.2f}x the ideal", ""),
            ("  300 ms per request, --prefetch 3",
             f"{lat['prefetch3_wall_s']:.2f} s; peak RSS {lat['prefetch3_peak_rss_mib']:.1f} MiB", ""),
            (f"sync {n} assets, 1 new hour, 300 ms", f"{lat['sync_300ms_defaults_wall_s']:.2f} s at the defaults = "
                                                     f"{lat['sync_300ms_over_ideal']:.2f}x the ideal {SYNC_IDEAL_S:.0f} s", "<= 1.5x"),
            ("  --requests-in-flight 4 (as before)", f"{lat['sync_300ms_in_flight_4_wall_s']:.2f} s", ""),
        ]
    first = results.get("first_load")
    if first:
        rows.append((f"first full load at the defaults: {first['assets']} assets from {first['from'][:10]}",
                     f"{first['rows']:,} rows; write floor (COPY into primary-key-only tables) {first['copy_floor_s']:.2f} s", ""))
        for latency, run in first["latencies"].items():
            rows.append((f"  {latency} ms a request, 100/s",
                         f"{run['wall_s']:.2f} s, {run['requests']:,} requests (API floor {run['api_floor_s']:.2f} s), "
                         f"peak {run['peak_in_flight']} in flight, peak RSS {run['peak_rss_mib']:.1f} MiB, "
                         f"stand-in CPU {run['stand_in_cpu_s']:.1f} s: "
                         f"{run['over_larger_floor']:.2f}x the larger floor", f"<= {TARGET}x"))
    dlt = results.get("dlt")
    if dlt:
        if "skipped" in dlt:
            rows.append(("dlt, the same backfill as above", "skipped: " + dlt["skipped"][:120], ">= 10x"))
        else:
            rows.append((f"dlt {dlt['dlt_version']}, the same backfill",
                         f"{dlt['wall_s']:.2f} s ({dlt['rows']:,} rows): liqsync {dlt['speedup']:.1f}x faster", ">= 10x"))
    sc = results.get("scale")
    if sc:
        rows.append((f"full coverage, {sc['hours']:,} hours + {sc['exchange_rows']:,} exchange rows",
                     f"generated {sc['generated_at'][:16]} at schema {sc['generated_at_schema']}", ""))
        for name, seconds in sc["timings_at_generation"].items():
            if name.startswith("migration "):
                rows.append((f"  {name}", f"{seconds:.1f} s", ""))
        rows.append(("  queries, ms (EXPLAIN ANALYZE, median of 3, warm)", "", "<= 50 ms"))
        rows += [(f"    {name}", f"{ms:.{1 if ms >= 10 else 2}f}", "") for name, ms in sc["queries_ms"].items()]
        ops = sc["operators_s"]
        rows += [
            ("  verify --full", f"{ops['verify --full']:.1f} s", ""),
            ("  verify after a day of changes", f"{ops['verify, a day of changes']:.2f} s "
                                                f"({ops['verify: days checked through the rollups']:,} days checked)", "<= 10 s"),
            ("  status / assets list", f"{ops['status']:.2f} / {ops['assets list']:.2f} s", "<= 1 s"),
        ]
        st = sc["storage"]
        rows.append(("  bytes per asset-year", f"{st['liqsync_per_asset_year'] / 2**20:.1f} MiB; PostgreSQL's minimum for the "
                                               f"same rows {st['minimum_per_asset_year'] / 2**20:.1f} MiB "
                                               f"({st['liqsync_per_asset_year'] / st['minimum_per_asset_year']:.2f}x)", ""))
        rows += [(f"    {table}", f"{size / 2**20:.2f} MiB", "") for table, size in st["bytes_per_asset_year"].items()]
    bl = results.get("bloat")
    if bl:
        rows.append((f"{bl['days']} days of hourly passes, {bl['assets']} assets, revisions",
                     f"{bl['passes']:,} passes in {bl['passes_s']:.0f} s; {bl['revisions_logged']:,} revisions logged", ""))
        rows.append(("  size over a fresh load of the same data", f"{bl['ratio']:.2f}x", "<= 1.25x"))
        rows += [(f"    {table}", f"{ratio:.2f}x" if ratio is not None else "empty in the fresh load", "")
                 for table, ratio in bl["ratio_by_table"].items()]
        rows.append(("  HOT updates", f"{100 * bl['hot_share']:.0f} % of {sum(t['updates'] for t in bl['updates_by_table'].values()):,}"
                     if bl["hot_share"] is not None else "no updates", ""))
    ab = results.get("ab")
    if ab:
        rows.append((f"A/B against {results['ab_base']}, {ab['rounds']} rounds interleaved", "base -> candidate (ratio)", ""))
        rows += [(f"  {key}", f"{v['base']:.2f} -> {v['candidate']:.2f} ({v['candidate_over_base']:.2f})", "")
                 for key, v in ab["summary"].items()]
    return rows


def print_table(results, runs, output):
    table = rows(results)
    width = max(len(r[0]) for r in table)
    value_width = max(len(r[1]) for r in table)
    print(f"\nliqsync benchmark: median of {runs} run(s) on {os.cpu_count()} CPUs\n")
    print(f"{'':{width}}  {'measured':{value_width}}  target")
    for name, value, target in table:
        print(f"{name:{width}}  {value:{value_width}}  {target}")
    print(f"\nFigures written to {output}")
