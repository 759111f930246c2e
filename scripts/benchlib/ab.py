"""An interleaved A/B of two builds: the ingest backfill (wall time, peak RSS), one asset's
memory and the 500-asset pass at 300 ms a request, base and candidate taking turns (ABBA) on the
same cluster and stand-ins, so that the machine's drift falls on both alike."""

import os
import shutil
import subprocess
from datetime import timedelta

from . import ingest, passes
from .environment import END, MAX_RPS, NOW, ROOT, SYNC_ASSETS, iso, log, median


def build(revision, workdir):
    """Release binaries of `revision`, built in a worktree of its own (the build cache kept in
    .build-ab between runs); their directory."""
    tree = os.path.join(workdir, "ab-tree")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-f", tree, revision], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = os.path.join(ROOT, ".build-ab")
    try:
        for product in ("liqsync",):
            subprocess.run(["swift", "build", "-c", "release", "--product", product, "--scratch-path", scratch], cwd=tree,
                           check=True, stdout=subprocess.DEVNULL)
        return subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"], cwd=tree,
                              check=True, capture_output=True, text=True).stdout.strip()
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def measure_once(bench, base_url, slow, binary, label, round_number):
    run = f"ab_{label}_{round_number}"
    e2e = ingest.end_to_end(bench, base_url, run, binary=binary, noop=False)
    rss_180 = ingest.memory(bench, base_url, 180, run, binary=binary)
    # The pass: 500 assets current to END, one new hour at the stand-in answering after 300 ms.
    database = f"bench_pass_{run}"
    bench.psql("postgres", f"DROP DATABASE IF EXISTS {database}")
    bench.psql("postgres", f"CREATE DATABASE {database} TEMPLATE bench_ab_pass_{label}")
    pass_wall = passes.pass_at_300ms(bench, slow, database, 1, binary=binary)
    bench.drop_database(database)
    return {"backfill_wall_s": e2e["wall_s"], "backfill_peak_rss_mib": e2e["peak_rss_mib"],
            "rss_180d_mib": rss_180, "pass_500_at_300ms_s": pass_wall}


def prepare_pass_template(bench, base_url, binary, label):
    """500 assets with two days of history, current to END, migrated by `binary`: the template
    each timed pass starts from."""
    database = f"bench_ab_pass_{label}"
    bench.create_database(database, liqsync=binary)
    bench.liqsync(database, ["backfill", *SYNC_ASSETS, "--from", iso(END - timedelta(hours=48)), "--to", iso(END),
                             "--now", iso(NOW), "--base-url", base_url, "--max-requests-per-second", MAX_RPS,
                             "--concurrency", "8"], binary=binary)


def ab(bench, base_url, base_binary, rounds):
    """`rounds` rounds, each measuring both builds, in ABBA order; medians and candidate / base.
    Both binaries are copied side by side into the work directory first: the same build run from
    two places differed by a megabyte of peak RSS on this machine."""
    binaries = {}
    for label, binary in (("base", base_binary), ("candidate", os.path.join(bench.bin, "liqsync"))):
        binaries[label] = os.path.join(bench.workdir, f"liqsync-{label}")
        shutil.copy2(binary, binaries[label])
    slow, slow_process = bench.start_fake("--latency-ms", "300")
    try:
        bench.advance_fake_clock(slow, 1)
        for label, binary in binaries.items():
            prepare_pass_template(bench, base_url, binary, label)
        measured = {label: [] for label in binaries}
        for round_number in range(rounds):
            order = ["base", "candidate"] if round_number % 2 == 0 else ["candidate", "base"]
            for label in order:
                log(f"A/B round {round_number + 1} of {rounds}: {label}")
                measured[label].append(measure_once(bench, base_url, slow, binaries[label], label, round_number))
    finally:
        bench.stop_fake(slow_process)
        for label in binaries:
            bench.drop_database(f"bench_ab_pass_{label}")
    keys = measured["base"][0].keys()
    summary = {}
    for key in keys:
        base = median(m[key] for m in measured["base"])
        candidate = median(m[key] for m in measured["candidate"])
        summary[key] = {"base": base, "candidate": candidate, "candidate_over_base": candidate / base}
    return {"rounds": rounds, "summary": summary, "runs": measured}
