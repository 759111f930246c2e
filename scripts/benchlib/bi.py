"""The analysts' queries: every query docs/bi.md documents and every SQL panel of the dashboard,
and how long the server takes to run one (scale.py times them at full coverage)."""

import json
import os
import re
import statistics

from .environment import ROOT


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
