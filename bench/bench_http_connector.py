"""Benchmark: the sample connector behind `erp-tui connector serve`, read and written through
`HttpConnector` on loopback.

* read: all pages (15 fields) of N sample customers with actors_changed_since;
* write: save_actors of W customers in batches.

Run: PYTHONPATH=. python bench/bench_http_connector.py [--customers 100000] [--page-size 5000]
     [--writes 10000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from erp_tui.connectors.http.client import HttpConnector
from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.contract import Actor, Cursor

FIELDS = ["customer_no", "name", "orgno", "vatno", "phone", "email", "url", "postal_address1",
          "postal_zip", "postal_city", "country", "category", "currency", "credit_limit",
          "created"]
TOKEN = "bench-token"


def read_all(connector: SampleConnector | HttpConnector, page_size: int) -> tuple[int, float,
                                                                                  list[str]]:
    started = time.perf_counter()
    cursor, count, keys = Cursor(), 0, []
    while True:
        result = connector.actors_changed_since(1, "Customer", cursor, FIELDS, page_size)
        assert result.ok and result.page is not None, result.user_message
        count += len(result.page)
        keys += result.page.erp_keys
        if result.page.next_cursor is None:
            break
        cursor = result.page.next_cursor
    return count, time.perf_counter() - started, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    erp = work / "erp.sqlite"
    summary = generate_sample_erp(erp, customers=args.customers, persons_per_customer=0,
                                  suppliers=1, projects=1, overwrite=True)
    print(f"generated {args.customers:,} customers in {summary.seconds:.1f} s")
    config = work / "server.json"
    config.write_text(json.dumps({"database": str(erp), "api_key": "demo-key",
                                  "page_size": args.page_size}), encoding="utf-8")
    env = {**os.environ, "ERP_TUI_CONNECTOR_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "erp_tui", "connector", "serve", "--connector", "sample",
         "--config", str(config), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/v1", line)
        assert match, line
        # Keep the server's per-request log from filling the pipe.
        import threading

        threading.Thread(target=lambda: [None for _ in server.stderr or ()],
                         daemon=True).start()
        local = SampleConnector()
        local.create_connection(1, {"database": str(erp), "api_key": "demo-key",
                                    "page_size": args.page_size})
        count, seconds, _ = read_all(local, args.page_size)
        print(f"in-process read : {count:,} actors x {len(FIELDS)} fields in {seconds:.2f} s "
              f"= {count / seconds:,.0f} actors/s")

        remote = HttpConnector()
        assert remote.create_connection(1, {"url": match.group(1), "token": TOKEN,
                                            "timeout": 120}).ok
        count, seconds, keys = read_all(remote, args.page_size)
        print(f"HTTP read       : {count:,} actors x {len(FIELDS)} fields in {seconds:.2f} s "
              f"= {count / seconds:,.0f} actors/s (pages of {args.page_size:,})")

        targets = keys[:args.writes]
        started = time.perf_counter()
        for start in range(0, len(targets), args.batch):
            batch = [Actor(actor_type="Customer", erp_key=key,
                           values={"note": f"bench {start + i}", "credit_limit": 1000.0 + i})
                     for i, key in enumerate(targets[start:start + args.batch])]
            result = remote.save_actors(1, batch)
            assert result.ok, result.user_message
        seconds = time.perf_counter() - started
        print(f"HTTP write      : {len(targets):,} actors in batches of {args.batch:,} in "
              f"{seconds:.2f} s = {len(targets) / seconds:,.0f} actors/s")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
