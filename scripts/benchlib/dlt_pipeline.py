"""The ingest benchmark's backfill done by dlt (run by dlt_baseline.py in a venv of its own):

  python dlt_pipeline.py BASE_URL CREDENTIALS_JSON START END FIGURES ASSET...

Merges on the primary key, with each hour's exchanges as dlt's child table; prints its wall time
as JSON."""

import json
import sys
import time
from decimal import Decimal

import dlt
import requests

base_url, credentials, start, end, figures = sys.argv[1:6]
figures = figures.split(",")
assets = sys.argv[6:]


@dlt.resource(name="token_interval", primary_key=["asset", "interval_start"], write_disposition="merge")
def liquidations(asset):
    url = (f"{base_url}/v2/data/liquidation.v1/token/{asset}?interval=1h&page_size=1000&sort=asc"
           f"&start_time={start}&end_time={end}")
    while url:
        response = requests.get(url, headers={"X-Api-Key": "bench", "Accept": "application/json"}, timeout=60)
        response.raise_for_status()
        # Amounts as exact decimals, as liqsync stores them (floats would round them).
        page = json.loads(response.text, parse_float=Decimal)
        for record in page["data"]:
            yield {"asset": asset, "interval_start": record["interval_time"], **{k: record[k] for k in figures},
                   "exchanges": record.get("exchanges", [])}
        url = page.get("next_url")


pipeline = dlt.pipeline(pipeline_name="liqsync_bench",
                        destination=dlt.destinations.postgres(credentials=json.loads(credentials)),
                        dataset_name="dlt_liquidations", pipelines_dir=sys.argv[0] + ".state")
started = time.monotonic()
pipeline.run([liquidations(asset) for asset in assets])
print(json.dumps({"wall_s": time.monotonic() - started}))
