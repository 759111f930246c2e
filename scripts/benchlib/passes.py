"""Sync passes over Kaiko's full coverage (500 tracked assets) and the API's latency: a pass with
nothing new, a pass with one new hour each (50 ms, then 300 ms a request), and one asset's
history at 300 ms a request with chunks fetched ahead and not."""

from datetime import timedelta

from .environment import END, MAX_RPS, NOW, SYNC_ASSETS, iso

LATENCY_DAYS = 548  # 18 months
# The ideal of a lone asset's backfill at 300 ms counts this many requests in flight: where the
# fetches ahead start (FetchAhead.initialLimit); they grow from there.
STARTING_FETCH_AHEAD = 2
# 500 requests at Kaiko's 100 a second; with 300 ms each and 32 in flight (the default) the
# latency alone would allow 500 x 0.3 / 32 = 4.7 s.
SYNC_IDEAL_S = 5.0


def sync_database(run):
    return f"bench_sync_{run}"


def sync_passes(bench, base_url, run):
    """500 assets tracked with two days of history; a pass with nothing new, then one with the
    next hour settled at a stand-in answering after 50 ms (concurrency 8)."""
    database = sync_database(run)
    bench.create_database(database)
    since = END - timedelta(hours=48)
    common = ["--max-requests-per-second", MAX_RPS, "--concurrency", "8"]
    # Tracked with two days of history (a backfill starts tracking them).
    bench.liqsync(database, ["backfill", *SYNC_ASSETS, "--from", iso(since), "--to", iso(END), "--now", iso(NOW),
                             "--base-url", base_url, *common])
    bench.liqsync(database, ["sync", "--now", iso(NOW), "--base-url", base_url, *common])

    requests = bench.api_requests(base_url)
    idle_wall, _, _ = bench.liqsync(database, ["sync", "--now", iso(NOW), "--base-url", base_url, *common])
    idle_requests = bench.api_requests(base_url) - requests

    # The next hour settles; the API answers each request after 50 ms.
    slow, slow_process = bench.start_fake("--latency-ms", "50")
    try:
        bench.advance_fake_clock(slow, 1)
        later = iso(NOW + timedelta(hours=1))
        new_wall, _, _ = bench.liqsync(database, ["sync", "--now", later, "--base-url", slow, *common])
        new_requests = bench.api_requests(slow)
        behind = bench.psql(database, f"SELECT count(*) FROM liquidations.asset WHERE watermark < '{iso(END + timedelta(hours=1))}'")
    finally:
        bench.stop_fake(slow_process)
    return {"idle_wall_s": idle_wall, "idle_api_requests": idle_requests, "new_hour_wall_s": new_wall,
            "new_hour_api_requests": new_requests, "assets_behind_after": int(behind)}


def pass_at_300ms(bench, slow, database, hours_ahead, extra=(), binary=None):
    """One pass over the 500 assets of `database` with one new hour each (the stand-in `slow`,
    answering after 300 ms, is `hours_ahead` hours past NOW); its wall time."""
    later = iso(NOW + timedelta(hours=hours_ahead))
    wall, _, _ = bench.liqsync(database, ["sync", "--now", later, "--base-url", slow, "--max-requests-per-second",
                                          MAX_RPS, *extra], binary=binary)
    behind = bench.psql(database, "SELECT count(*) FROM liquidations.asset WHERE watermark < "
                                  f"'{iso(END + timedelta(hours=hours_ahead))}'")
    if int(behind) != 0:
        raise SystemExit(f"bench: {behind} assets not synced by the pass at 300 ms")
    return wall


def latency(bench, base_url, run):
    """One asset over 18 months with 300 ms per request, prefetching and not, against the same
    backfill without latency; then the 500-asset pass with one new hour at 300 ms (after
    `sync_passes`, which left every asset at END + 1 hour)."""
    start = END - timedelta(days=LATENCY_DAYS)

    def backfill(url, name, *extra):
        database = f"bench_lat_{name}_{run}"
        bench.create_database(database)
        requests = bench.api_requests(url)
        wall, rss, _ = bench.liqsync(database, ["backfill", "bench00", "--from", iso(start), "--to", iso(END),
                                                "--now", iso(NOW), "--base-url", url,
                                                "--max-requests-per-second", MAX_RPS, *extra], measure=True)
        bench.drop_database(database)
        return wall, bench.api_requests(url) - requests, rss / 1024

    fast_wall, requests, _ = backfill(base_url, "none")
    slow, slow_process = bench.start_fake("--latency-ms", "300")
    try:
        prefetch_wall, prefetch_requests, prefetch_rss = backfill(slow, "prefetch")
        serial_wall, _, _ = backfill(slow, "serial", "--prefetch", "0")
        deep_wall, _, deep_rss = backfill(slow, "deep", "--prefetch", "3")
        in_flight = STARTING_FETCH_AHEAD
        ideal = max(prefetch_requests * 0.3 / in_flight, fast_wall)
        bench.advance_fake_clock(slow, 3)
        # At the defaults (4 writers, 32 assets in progress), and with requests in flight capped
        # at the writers' number, as they were when each asset in progress held a connection.
        defaults = pass_at_300ms(bench, slow, sync_database(run), 2)
        in_flight_4 = pass_at_300ms(bench, slow, sync_database(run), 3, ["--requests-in-flight", "4"])
    finally:
        bench.stop_fake(slow_process)
    return {"no_latency_wall_s": fast_wall, "requests": requests, "prefetch_wall_s": prefetch_wall,
            "prefetch_requests": prefetch_requests, "prefetch_peak_rss_mib": prefetch_rss,
            "serial_wall_s": serial_wall, "ideal_s": ideal, "prefetch_over_ideal": prefetch_wall / ideal,
            "serial_over_ideal": serial_wall / ideal, "prefetch3_wall_s": deep_wall, "prefetch3_peak_rss_mib": deep_rss,
            "sync_300ms_defaults_wall_s": defaults, "sync_300ms_in_flight_4_wall_s": in_flight_4,
            "sync_300ms_over_ideal": defaults / SYNC_IDEAL_S}
