"""The ingest benchmark's backfill done by a dlt pipeline (pip's dlt[postgres]) from the same
stand-in into the same PostgreSQL: liqsync's speed-up over the tool a data team would reach for."""

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta

from .environment import BACKFILL_ASSETS, END, iso
from .ingest import INGEST_DAYS

PIPELINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dlt_pipeline.py")


def dlt_baseline(bench, base_url, liqsync_wall):
    """dlt's wall time for the same backfill, into a database of its own; {"skipped": why} when
    dlt cannot be installed here."""
    venv = os.path.join(bench.workdir, "dlt-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=subprocess.DEVNULL)
        installed = subprocess.run([python, "-m", "pip", "install", "-q", "dlt[postgres]", "requests"],
                                   capture_output=True, text=True)
        if installed.returncode != 0:
            return {"skipped": f"pip could not install dlt[postgres]: {installed.stderr.strip()[-300:]}"}
    version = subprocess.run([python, "-c", "import dlt; print(dlt.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    database = "bench_dlt"
    bench.create_database(database, migrate=False)
    script = os.path.join(bench.workdir, "dlt_pipeline.py")
    shutil.copy(PIPELINE, script)  # its state goes beside it, in the work directory
    # Over TCP (dlt builds a URL of the parts, which a socket directory does not survive),
    # where the throwaway cluster asks for a password.
    bench.psql("postgres", "ALTER ROLE postgres PASSWORD 'bench-only'")
    credentials = json.dumps({"database": database, "username": bench.env["PGUSER"], "password": "bench-only",
                              "host": "127.0.0.1", "port": int(bench.env["PGPORT"])})
    start = END - timedelta(days=INGEST_DAYS)
    started = time.monotonic()
    result = subprocess.run([python, script, base_url, credentials, iso(start), iso(END), ",".join(bench.figures()),
                             *BACKFILL_ASSETS],
                            capture_output=True, text=True, env=dict(bench.env, DLT_TELEMETRY="false",
                                                                     RUNTIME__DLTHUB_TELEMETRY="false"))
    wall = time.monotonic() - started
    if result.returncode != 0:
        return {"skipped": f"the dlt pipeline failed: {result.stderr.strip()[-500:]}"}
    rows = int(bench.psql(database, "SELECT (SELECT count(*) FROM dlt_liquidations.token_interval) + "
                                    "(SELECT count(*) FROM dlt_liquidations.token_interval__exchanges)"))
    return {"dlt_version": version, "wall_s": wall, "rows": rows, "liqsync_wall_s": liqsync_wall,
            "speedup": wall / liqsync_wall}
