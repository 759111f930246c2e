"""A year of 50 assets at 300 ms a request, against its floors: the API budget's, the
latency's and PostgreSQL's COPY of the same rows."""

from datetime import timedelta

from . import ingest
from .environment import END, MAX_RPS, NOW, SYNC_ASSETS, iso

COVERAGE_ASSETS = SYNC_ASSETS[:50]
COVERAGE_DAYS = 365
# Backfill settings: the defaults, then enough chunks fetched ahead that requests in flight, not
# the latency, stop setting the pace.
COVERAGE_SETTINGS = {"defaults": (4, 2), "--prefetch 16": (4, 16)}


def truth(bench, base_url):
    return bench.truth_files(base_url, END - timedelta(days=COVERAGE_DAYS), END, COVERAGE_ASSETS, "coverage")


def coverage_backfill(bench, files, run):
    """50 assets x 1 year through a stand-in answering after 300 ms, at each setting: wall time
    against three floors, the API budget's (requests / 100 per second), the latency's (requests
    x 0.3 s / requests in flight: --concurrency + --prefetch) and the COPY of the same rows into
    the same tables."""
    slow, slow_process = bench.start_fake("--latency-ms", "300")
    measured = {}
    try:
        start = END - timedelta(days=COVERAGE_DAYS)
        for name, (concurrency, prefetch) in COVERAGE_SETTINGS.items():
            database = f"bench_cov_{run}"
            bench.create_database(database)
            requests = bench.api_requests(slow)
            wall, rss, _ = bench.liqsync(database, ["backfill", *COVERAGE_ASSETS, "--from", iso(start), "--to", iso(END),
                                                    "--now", iso(NOW), "--base-url", slow, "--concurrency", str(concurrency),
                                                    "--prefetch", str(prefetch), "--max-requests-per-second", MAX_RPS],
                                         measure=True)
            requests = bench.api_requests(slow) - requests
            hours, exchanges = bench.data_rows(database)
            bench.drop_database(database)
            measured[name] = (wall, rss, requests, requests * 0.3 / (concurrency + prefetch))
    finally:
        bench.stop_fake(slow_process)
    copy = ingest.copy_baseline(bench, files, run, assets=COVERAGE_ASSETS, name="covcopy")
    if copy["rows"] != hours + exchanges:
        raise SystemExit(f"bench: COPY loaded {copy['rows']} rows, the coverage backfill {hours + exchanges}")
    result = {"rows": hours + exchanges, "copy_floor_s": copy["wall_s"]}
    for name, (wall, rss, requests, latency_floor) in measured.items():
        api_floor = requests / float(MAX_RPS)
        result.update({f"{name}: wall_s": wall, f"{name}: requests": requests, f"{name}: peak_rss_mib": rss / 1024,
                       f"{name}: api_floor_s": api_floor, f"{name}: latency_floor_s": latency_floor,
                       f"{name}: over_binding_floor": wall / max(api_floor, latency_floor, copy["wall_s"])})
    return result
