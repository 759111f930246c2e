"""What every measurement needs: a throwaway PostgreSQL, FakeKaiko stand-ins, the liqsync binary,
and the fixed clock they all share."""

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# FakeKaiko's clock, fixed so every run sees the same data; liqsync gets the same --now. In the
# past: liqsync refuses a clock ahead of the database server's, and the database a watermark in
# the future.
NOW = datetime(2026, 11, 1, 0, 30, tzinfo=timezone.utc)
END = NOW.replace(minute=0) - timedelta(hours=1)  # the last settled hour ends here
BACKFILL_ASSETS = [f"bench{i:02d}" for i in range(10)]
SYNC_ASSETS = [f"pass{i:03d}" for i in range(500)]
MAX_RPS = "100"  # Kaiko's documented limit: 6000 requests per minute per key


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def medians(runs):
    """Each key's median over the runs (dicts with the same keys)."""
    return {key: median(run.get(key) for run in runs) for key in runs[0]} if runs else None


class Environment:
    """A PostgreSQL cluster (scripts/pg-cluster), the stand-ins started in it, and the binaries."""

    def __init__(self, bin_dir, workdir):
        self.bin = bin_dir
        self.workdir = workdir
        self.env = dict(os.environ)
        self.fakes = []
        self._figures = None

    # -- processes ---------------------------------------------------------------------------

    def start_cluster(self, resume=False):
        """A new cluster in the work directory, or (`resume`) the one made there by an earlier run."""
        subprocess.run([os.path.join(ROOT, "scripts/pg-cluster"), "resume" if resume else "start", self.workdir], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(self.workdir, "env")) as env_file:
            for line in env_file:
                match = re.match(r"export (\w+)='?([^']*)'?$", line.strip())
                if match:
                    self.env[match.group(1)] = match.group(2)
        self.env.pop("DATABASE_URL", None)

    def stop(self):
        for fake in self.fakes:
            fake.kill()
            fake.wait()
        self.fakes = []
        subprocess.run([os.path.join(ROOT, "scripts/pg-cluster"), "stop", self.workdir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_fake(self, *extra, assets=None, now=NOW):
        """A FakeKaiko with its clock stopped at `now` serving `assets` (every bench asset by
        default); its URL and process."""
        assets = assets or BACKFILL_ASSETS + SYNC_ASSETS
        process = subprocess.Popen(
            [os.path.join(self.bin, "fake-kaiko"), "--port", "0", "--now", iso(now), "--speed", "0",
             "--assets", ",".join(assets), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.fakes.append(process)
        line = process.stdout.readline()
        match = re.search(r"http://[\d.]+:\d+", line)
        if not match:
            raise SystemExit(f"bench: fake-kaiko did not start: {line!r}")
        return match.group(0), process

    def stop_fake(self, process):
        self.fakes.remove(process)
        process.kill()
        process.wait()

    def advance_fake_clock(self, base_url, hours):
        urllib.request.urlopen(urllib.request.Request(f"{base_url}/_fake/clock?advance_hours={hours}",
                                                      method="POST")).read()

    def api_requests(self, base_url):
        with urllib.request.urlopen(f"{base_url}/_fake/stats") as response:
            return json.load(response)["requests"]

    # -- the database ------------------------------------------------------------------------

    def psql(self, database, sql):
        result = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
                                env=self.env, check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def psql_script(self, database, script, single_transaction=False):
        arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database] + (["-1"] if single_transaction else [])
        subprocess.run(arguments, input=script, text=True, env=self.env, check=True, stdout=subprocess.DEVNULL)

    def create_database(self, name, migrate=True, liqsync=None):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")
        self.psql("postgres", f"CREATE DATABASE {name}")
        if migrate:
            self.liqsync(name, ["migrate"], binary=liqsync)

    def drop_database(self, name):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")

    def data_rows(self, database):
        counts = self.psql(database, "SELECT (SELECT count(*) FROM liquidations.token_interval) || ' ' || "
                                     "(SELECT count(*) FROM liquidations.token_interval_exchange)")
        hours, exchanges = map(int, counts.split())
        return hours, exchanges

    def figures(self):
        """The figure columns, in order, as the schema has them: every measure the revision log
        keeps an old and a new value of. One list for every statement here that names them."""
        return list(self.figure_types())

    def figure_types(self):
        """Each figure column's type (bigint or numeric), in order."""
        if self._figures is None:
            self.create_database("bench_schema")
            rows = self.psql("bench_schema", """
                SELECT substr(column_name, 5) || ' ' || data_type FROM information_schema.columns
                WHERE table_schema = 'liquidations' AND table_name = 'revision' AND column_name LIKE 'old\\_%'
                ORDER BY ordinal_position""").splitlines()
            self._figures = dict(row.split(" ", 1) for row in rows)
            self.drop_database("bench_schema")
        return self._figures

    # -- liqsync -----------------------------------------------------------------------------

    def liqsync(self, database, arguments, measure=False, binary=None):
        """Runs liqsync (or `binary`); returns (wall seconds, peak RSS in KiB when `measure`, stdout)."""
        env = dict(self.env, DATABASE_URL=f"dbname={database}", KAIKO_API_KEY="bench")
        command = [binary or os.path.join(self.bin, "liqsync"), *arguments, "--log-level", "warning"]
        if measure:
            command = ["/usr/bin/time", "-v", *command]
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(f"bench: liqsync {' '.join(arguments)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
        rss = None
        if measure:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
            rss = int(match.group(1)) if match else None
        return wall, rss, result.stdout

    def truth_files(self, base_url, start, end, assets=BACKFILL_ASSETS, name="backfill"):
        """The rows a backfill stores, as COPY CSV: one row per hour (zero when nothing was
        liquidated) and one per exchange and hour, amounts as the exact decimals served."""
        hours_path = os.path.join(self.workdir, f"{name}-hours.csv")
        exchanges_path = os.path.join(self.workdir, f"{name}-exchanges.csv")
        figures = self.figures()
        with open(hours_path, "w") as hours_file, open(exchanges_path, "w") as exchanges_file:
            for asset in assets:
                url = f"{base_url}/_fake/truth/{asset}?start_time={iso(start)}&end_time={iso(end)}"
                with urllib.request.urlopen(url) as response:
                    # Numbers kept as the text served: the exact decimals, as liqsync stores them.
                    data = json.loads(response.read(), parse_float=str, parse_int=str)["data"]
                by_hour = {entry["interval_time"]: entry for entry in data}
                hour = start
                while hour < end:
                    key = iso(hour)
                    entry = by_hour.get(key)
                    values = [entry[figure] for figure in figures] if entry else ["0"] * len(figures)
                    hours_file.write(",".join([asset, key, *values]) + "\n")
                    for exchange in (entry or {}).get("exchanges", []):
                        exchanges_file.write(",".join([asset, key, exchange["exchange"],
                                                       *[exchange[figure] for figure in figures]]) + "\n")
                    hour += timedelta(hours=1)
        return hours_path, exchanges_path

    def copy_files(self, database, files, hours_table="liquidations.token_interval",
                   exchanges_table="liquidations.token_interval_exchange"):
        """psql's \\copy of the truth files into the tables; its wall time."""
        hours_path, exchanges_path = files
        columns = ", ".join(self.figures())
        script = (f"\\copy {hours_table} (asset, interval_start, {columns}) FROM '{hours_path}' CSV\n"
                  f"\\copy {exchanges_table} (asset, interval_start, exchange, {columns}) FROM '{exchanges_path}' CSV\n")
        started = time.monotonic()
        self.psql_script(database, script)
        return time.monotonic() - started

    def track(self, database, assets):
        """The assets tracked from the dataset's start, with nothing stored (for a COPY baseline)."""
        values = ",".join(f"('{asset}', '2025-01-08')" for asset in assets)
        self.psql(database, f"INSERT INTO liquidations.asset (asset, sync_from, watermark) "
                            f"SELECT a, s::timestamptz, s::timestamptz FROM (VALUES {values}) AS v(a, s)")
